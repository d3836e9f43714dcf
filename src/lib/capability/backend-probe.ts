/**
 * The timed probe behind the backend choice (issue 13): where WebGPU runs on a hardware
 * adapter, score the same few items of the default experiment on its largest model on both
 * backends, through the real engine worker, and keep the faster. The result is remembered in
 * localStorage per adapter and core count (backend-choice.ts holds the key, the decision and
 * the validation of what was stored).
 */
import { defaultSpec, type LadderManifest } from '../catalog/ladder.ts';
import type { RawItemResult } from '../engine/types.ts';
import type { WorkerRunConfig } from '../run/protocol.ts';
import type { ModelRef } from '../spec/schema.ts';
import { generateItems } from '../tasks/registry.ts';
import type { GenerationItem } from '../tasks/types.ts';
import { chooseBackend, decideFromTimings, parseStoredProbe, probeCacheKey, serializeProbe, type ProbeOutcome } from './backend-choice.ts';
import type { GpuCapability } from './webgpu.ts';

/** The engine worker's "score these items on this model" call (EngineClient.score). */
export type ScoreFn = (ref: ModelRef, items: GenerationItem[], config: WorkerRunConfig) => Promise<{ results: RawItemResult[] }>;

/** The storage the choice is remembered in (window.localStorage; absent in private modes that throw). */
export type ChoiceStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** Items per backend: enough batches to amortise a first-batch hiccup, few enough for ~1-3 s on a GPU. */
export const PROBE_ITEMS = 16;

/** localStorage, or null where reading it throws (storage disabled, sandboxed frames). */
export function browserStorage(): ChoiceStorage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

function keyOf(cap: GpuCapability): string {
  return probeCacheKey(cap, globalThis.navigator?.hardwareConcurrency);
}

/** The capability with the recommendation of a stored probe applied, if one is stored and valid. */
export function withStoredChoice(cap: GpuCapability, storage: ChoiceStorage | null): GpuCapability {
  let raw: string | null = null;
  try {
    raw = storage?.getItem(keyOf(cap)) ?? null;
  } catch {
    raw = null;
  }
  return withProbe(cap, parseStoredProbe(raw));
}

function withProbe(cap: GpuCapability, probe: ProbeOutcome | null): GpuCapability {
  const choice = chooseBackend({ webgpuUsable: cap.webgpuUsable, software: cap.softwareRenderer, unusableReason: cap.fallbackReason }, probe);
  return { ...cap, backend: choice.backend, choice };
}

/** A spread of items over the default experiment's variants (every k-th item). */
function probeItems(ladder: LadderManifest, n: number): GenerationItem[] {
  const all = generateItems(defaultSpec(ladder, 'wasm').task).filter((i): i is GenerationItem => i.kind === 'generation');
  const step = Math.max(1, Math.floor(all.length / n));
  return all.filter((_, i) => i % step === 0).slice(0, n);
}

async function timed(f: () => Promise<unknown>, now: () => number): Promise<number> {
  const t0 = now();
  try {
    await f();
    return now() - t0;
  } catch {
    return Infinity; // a backend that fails the probe loses it
  }
}

/**
 * Time both backends on the default experiment's largest model and store the outcome. A warm-up
 * call on WASM first (one item on the smallest model) starts the worker and ONNX Runtime, so that
 * start-up cost is not charged to whichever backend happens to go first.
 */
export async function runBackendProbe(
  cap: GpuCapability,
  ladder: LadderManifest,
  score: ScoreFn,
  config: WorkerRunConfig,
  storage: ChoiceStorage | null,
  now: () => number = () => performance.now(),
): Promise<GpuCapability> {
  const models = defaultSpec(ladder, 'wasm').models;
  const model = models[models.length - 1];
  const items = probeItems(ladder, PROBE_ITEMS);
  if (!model || items.length === 0) return withProbe(cap, null);
  await score({ ...models[0], device: 'wasm' }, items.slice(0, 1), config).catch(() => undefined);
  const wasmMs = await timed(() => score({ ...model, device: 'wasm' }, items, config), now);
  const webgpuMs = await timed(() => score({ ...model, device: 'webgpu' }, items, config), now);
  const outcome: ProbeOutcome = {
    backend: decideFromTimings(webgpuMs, wasmMs),
    webgpuMs,
    wasmMs,
    measuredAt: new Date().toISOString(),
    model: model.id,
    items: items.length,
  };
  if (!Number.isFinite(webgpuMs) && !Number.isFinite(wasmMs)) throw new Error('Both backends failed the probe; nothing was stored.');
  try {
    storage?.setItem(keyOf(cap), serializeProbe(outcome));
  } catch {
    // Storage full or disabled: the choice holds for this page only.
  }
  return withProbe(cap, outcome);
}
