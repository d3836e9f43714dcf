/**
 * Which backend the lab recommends, decided from facts, not from "WebGPU exists" (issue 13).
 * Pure: no DOM, no storage, no runtime. The page feeds it the adapter's info, the timings of
 * a probe and what localStorage held; src/lib/capability/backend-probe.ts does the measuring.
 *
 * Why: a fallback adapter (SwiftShader in headless Chromium, llvmpipe/lavapipe in Mesa,
 * Microsoft Basic Render Driver on Windows) passes the WebGPU self-test but runs shaders on
 * the CPU, measured 50x slower than ONNX Runtime's WASM kernels on the default experiment.
 * Between two real backends only a measurement can tell which is faster on this device.
 */

export type Backend = 'webgpu' | 'wasm';

/** What the adapter says about itself (GPUAdapterInfo fields, plus the fallback flag). */
export interface AdapterFacts {
  vendor: string | null;
  architecture: string | null;
  description: string | null;
  /** adapter.info.isFallbackAdapter, or the deprecated adapter.isFallbackAdapter. */
  isFallbackAdapter: boolean;
}

/** Names of software renderers, as they appear in vendor / architecture / description. */
const SOFTWARE_RENDERERS: readonly { pattern: RegExp; name: string }[] = [
  { pattern: /swift\s*shader/i, name: 'SwiftShader' },
  { pattern: /llvmpipe/i, name: 'llvmpipe' },
  { pattern: /lavapipe/i, name: 'lavapipe' },
  { pattern: /microsoft basic render/i, name: 'Microsoft Basic Render Driver' },
  { pattern: /\bsoftware\b/i, name: 'a software renderer' },
];

/**
 * The software renderer behind an adapter ("SwiftShader"), or null for a real GPU. An adapter
 * flagged as fallback with no recognisable name is "a fallback adapter".
 */
export function softwareRenderer(adapter: AdapterFacts): string | null {
  const text = [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ');
  const named = SOFTWARE_RENDERERS.find((r) => r.pattern.test(text));
  if (named) return named.name;
  return adapter.isFallbackAdapter ? 'a fallback adapter' : null;
}

/** The most WASM threads the lab asks for: past ~8 ONNX Runtime's kernels on small models gain little. */
export const MAX_WASM_THREADS = 8;

/**
 * ONNX Runtime WASM threads: every logical core (up to MAX_WASM_THREADS) when the page is
 * cross-origin isolated (threads need SharedArrayBuffer), else 1. ORT's own default is
 * min(4, ceil(cores / 2)), which leaves half the cores idle.
 */
export function wasmThreadCount(hardwareConcurrency: number | undefined, crossOriginIsolated: boolean): number {
  if (!crossOriginIsolated) return 1;
  const cores = Number.isFinite(hardwareConcurrency) && (hardwareConcurrency ?? 0) >= 1 ? Math.floor(hardwareConcurrency!) : 1;
  return Math.min(MAX_WASM_THREADS, cores);
}

/** A finished probe: both backends timed on the same model and items, in the real worker. */
export interface ProbeOutcome {
  backend: Backend;
  webgpuMs: number;
  wasmMs: number;
  /** ISO date-time of the measurement. */
  measuredAt: string;
  /** The model and item count timed, so the panel can say what was measured. */
  model: string;
  items: number;
}

/**
 * WASM wins ties and near-ties: it is the reference-exact backend (log-probs within 1e-4 of the
 * CPU reference, WebGPU within 2e-3), so WebGPU must be clearly faster (by this factor) to be chosen.
 */
export const WEBGPU_MIN_SPEEDUP = 1.1;

/** The faster backend from two probe timings (ms); a failed side (non-finite) loses. */
export function decideFromTimings(webgpuMs: number, wasmMs: number): Backend {
  const gpuOk = Number.isFinite(webgpuMs) && webgpuMs > 0;
  const wasmOk = Number.isFinite(wasmMs) && wasmMs > 0;
  if (!gpuOk) return 'wasm';
  if (!wasmOk) return 'webgpu';
  return webgpuMs * WEBGPU_MIN_SPEEDUP < wasmMs ? 'webgpu' : 'wasm';
}

const KEY_PREFIX = 'emergence-lab:backend-probe:v1:';

/**
 * localStorage key of a probe: the same browser on another GPU, or with another core count,
 * measures again.
 */
export function probeCacheKey(adapter: Pick<AdapterFacts, 'vendor' | 'architecture' | 'description'>, hardwareConcurrency: number | undefined): string {
  const part = (s: string | null) => (s ?? '').trim().toLowerCase();
  return `${KEY_PREFIX}${part(adapter.vendor)}|${part(adapter.architecture)}|${part(adapter.description)}|${hardwareConcurrency ?? 0}`;
}

export function serializeProbe(p: ProbeOutcome): string {
  return JSON.stringify(p);
}

const isPositiveFinite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * A stored probe, or null when absent or not a probe this version wrote (corrupt JSON, wrong
 * fields, a backend that disagrees with its own timings): an unreadable value is ignored and
 * measured again, never trusted.
 */
export function parseStoredProbe(raw: string | null | undefined): ProbeOutcome | null {
  if (!raw) return null;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (o.backend !== 'webgpu' && o.backend !== 'wasm') return null;
  // A failed side is stored as null (JSON has no Infinity); at least one side measured.
  const gpu = o.webgpuMs === null ? Infinity : o.webgpuMs;
  const cpu = o.wasmMs === null ? Infinity : o.wasmMs;
  if (!(isPositiveFinite(gpu) || gpu === Infinity) || !(isPositiveFinite(cpu) || cpu === Infinity)) return null;
  if (gpu === Infinity && cpu === Infinity) return null;
  if (typeof o.measuredAt !== 'string' || Number.isNaN(Date.parse(o.measuredAt))) return null;
  if (typeof o.model !== 'string' || o.model.length === 0 || o.model.length > 200) return null;
  if (!Number.isInteger(o.items) || (o.items as number) < 1) return null;
  if (decideFromTimings(gpu, cpu) !== o.backend) return null;
  return { backend: o.backend, webgpuMs: gpu, wasmMs: cpu, measuredAt: o.measuredAt, model: o.model, items: o.items as number };
}

/** Why the lab recommends what it does, for the capability panel. */
export type ChoiceSource = 'no-webgpu' | 'software' | 'probe' | 'unmeasured';

export interface BackendChoice {
  backend: Backend;
  source: ChoiceSource;
  /** One sentence for the panel. */
  reason: string;
  probe: ProbeOutcome | null;
}

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v).toLocaleString('en-US')} ms` : 'failed');

/** "chosen by a 812 ms (WebGPU) vs 1,930 ms (WASM) probe on 2026-11-29". */
export function describeProbe(p: ProbeOutcome): string {
  return `chosen by a ${ms(p.webgpuMs)} (WebGPU) vs ${ms(p.wasmMs)} (WASM) probe on ${p.measuredAt.slice(0, 10)}`;
}

/**
 * The recommended backend: WASM without a usable WebGPU; else what a probe measured on this
 * device (a measurement beats any rule); else WASM on a software renderer, and WebGPU on a
 * hardware adapter until its probe has run.
 */
export function chooseBackend(gpu: { webgpuUsable: boolean; software: string | null; unusableReason?: string | null }, stored: ProbeOutcome | null): BackendChoice {
  if (!gpu.webgpuUsable) {
    return { backend: 'wasm', source: 'no-webgpu', reason: gpu.unusableReason ?? 'WebGPU is not usable in this browser.', probe: null };
  }
  if (stored) {
    const name = stored.backend === 'webgpu' ? 'WebGPU' : 'WASM';
    return { backend: stored.backend, source: 'probe', reason: `${name} was faster here: ${describeProbe(stored)}.`, probe: stored };
  }
  if (gpu.software) {
    // Unnamed renderers read "a software renderer" / "a fallback adapter" themselves.
    const what = gpu.software.startsWith('a ') ? gpu.software : `a software renderer (${gpu.software})`;
    return {
      backend: 'wasm',
      source: 'software',
      reason: `Your WebGPU adapter is ${what}: WASM is faster here; WebGPU stays selectable.`,
      probe: null,
    };
  }
  return { backend: 'webgpu', source: 'unmeasured', reason: 'WebGPU on a hardware adapter; a short probe of both backends decides.', probe: null };
}
