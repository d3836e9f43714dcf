import { describe, expect, it } from 'vitest';
import arithJson from '../../../static/models/arith/ladder.json';
import {
  chooseBackend,
  decideFromTimings,
  describeProbe,
  MAX_WASM_THREADS,
  parseStoredProbe,
  probeCacheKey,
  serializeProbe,
  softwareRenderer,
  wasmThreadCount,
  WEBGPU_MIN_SPEEDUP,
  type ProbeOutcome,
} from '../../../src/lib/capability/backend-choice.ts';
import { runBackendProbe, withStoredChoice, type ChoiceStorage, type ScoreFn } from '../../../src/lib/capability/backend-probe.ts';
import type { GpuCapability } from '../../../src/lib/capability/webgpu.ts';
import { defaultSpec, parseLadderManifest } from '../../../src/lib/catalog/ladder.ts';
import type { WorkerRunConfig } from '../../../src/lib/run/protocol.ts';

const hw = { vendor: 'nvidia', architecture: 'ada', description: 'NVIDIA GeForce RTX 4070', isFallbackAdapter: false };

describe('softwareRenderer', () => {
  it('names the software renderers by vendor, architecture or description', () => {
    expect(softwareRenderer({ vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true })).toBe('SwiftShader');
    expect(softwareRenderer({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)', isFallbackAdapter: false })).toBe('llvmpipe');
    expect(softwareRenderer({ vendor: 'mesa', architecture: '', description: 'Lavapipe', isFallbackAdapter: false })).toBe('lavapipe');
    expect(softwareRenderer({ vendor: 'microsoft', architecture: '', description: 'Microsoft Basic Render Driver', isFallbackAdapter: false })).toBe('Microsoft Basic Render Driver');
    expect(softwareRenderer({ vendor: 'x', architecture: null, description: 'Software Adapter', isFallbackAdapter: false })).toBe('a software renderer');
  });
  it('trusts the fallback flag when nothing is named', () => {
    expect(softwareRenderer({ vendor: 'acme', architecture: null, description: null, isFallbackAdapter: true })).toBe('a fallback adapter');
  });
  it('leaves hardware adapters alone (no false match on words like "soft" inside names)', () => {
    expect(softwareRenderer(hw)).toBeNull();
    expect(softwareRenderer({ vendor: 'apple', architecture: 'common-3', description: 'Microsoft Surface softkeys GPU', isFallbackAdapter: false })).toBeNull();
    expect(softwareRenderer({ vendor: null, architecture: null, description: null, isFallbackAdapter: false })).toBeNull();
  });
});

describe('wasmThreadCount', () => {
  it('uses every core up to the cap when cross-origin isolated', () => {
    expect(wasmThreadCount(2, true)).toBe(2);
    expect(wasmThreadCount(6, true)).toBe(6);
    expect(wasmThreadCount(64, true)).toBe(MAX_WASM_THREADS);
  });
  it('is 1 without isolation (no SharedArrayBuffer) or without a usable core count', () => {
    expect(wasmThreadCount(16, false)).toBe(1);
    expect(wasmThreadCount(undefined, true)).toBe(1);
    expect(wasmThreadCount(0, true)).toBe(1);
    expect(wasmThreadCount(Number.NaN, true)).toBe(1);
  });
});

describe('decideFromTimings', () => {
  it('picks the faster backend; WebGPU must win by the margin', () => {
    expect(decideFromTimings(100, 1000)).toBe('webgpu');
    expect(decideFromTimings(1000, 100)).toBe('wasm');
    expect(decideFromTimings(100, 100)).toBe('wasm');
    expect(decideFromTimings(100, 100 * WEBGPU_MIN_SPEEDUP - 1)).toBe('wasm');
    expect(decideFromTimings(100, 100 * WEBGPU_MIN_SPEEDUP + 1)).toBe('webgpu');
  });
  it('a side that failed (non-finite) loses', () => {
    expect(decideFromTimings(Infinity, 5000)).toBe('wasm');
    expect(decideFromTimings(Number.NaN, 5000)).toBe('wasm');
    expect(decideFromTimings(50, Infinity)).toBe('webgpu');
  });
});

describe('probeCacheKey', () => {
  it('differs by adapter and by core count, not by letter case or spaces', () => {
    const k = probeCacheKey(hw, 8);
    expect(probeCacheKey({ ...hw, description: ' nvidia geforce rtx 4070 ' }, 8)).toBe(k);
    expect(probeCacheKey({ ...hw, description: 'NVIDIA GeForce RTX 3060' }, 8)).not.toBe(k);
    expect(probeCacheKey(hw, 4)).not.toBe(k);
    expect(probeCacheKey({ ...hw, vendor: 'amd' }, 8)).not.toBe(k);
  });
});

const outcome: ProbeOutcome = { backend: 'webgpu', webgpuMs: 812, wasmMs: 1930, measuredAt: '2026-11-29T23:40:00.000Z', model: 'arith/arith-l4-d128', items: 16 };

describe('stored probes', () => {
  it('round-trip, including a failed side (stored as null)', () => {
    expect(parseStoredProbe(serializeProbe(outcome))).toEqual(outcome);
    const failed = { ...outcome, backend: 'wasm' as const, webgpuMs: Infinity };
    expect(serializeProbe(failed)).toContain('"webgpuMs":null');
    expect(parseStoredProbe(serializeProbe(failed))).toEqual(failed);
  });
  it.each([
    ['nothing', null],
    ['empty', ''],
    ['not JSON', '{"backend":'],
    ['an array', '[]'],
    ['a number', '42'],
    ['an unknown backend', serializeProbe({ ...outcome, backend: 'cuda' as never })],
    ['a negative time', serializeProbe({ ...outcome, wasmMs: -5 })],
    ['a string time', JSON.stringify({ ...outcome, wasmMs: '1930' })],
    ['both sides failed', JSON.stringify({ ...outcome, webgpuMs: null, wasmMs: null })],
    ['a bad date', JSON.stringify({ ...outcome, measuredAt: 'yesterday' })],
    ['no model', JSON.stringify({ ...outcome, model: '' })],
    ['zero items', JSON.stringify({ ...outcome, items: 0 })],
    ['a backend its own timings contradict', serializeProbe({ ...outcome, backend: 'wasm' })],
  ])('ignore %s', (_what, raw) => {
    expect(parseStoredProbe(raw)).toBeNull();
  });
});

describe('chooseBackend', () => {
  it('WASM without a usable WebGPU, with the reason', () => {
    const c = chooseBackend({ webgpuUsable: false, software: null, unusableReason: 'No adapter.' }, outcome);
    expect(c).toMatchObject({ backend: 'wasm', source: 'no-webgpu', reason: 'No adapter.' });
  });
  it('WASM on a software renderer, saying why and that WebGPU stays selectable', () => {
    const c = chooseBackend({ webgpuUsable: true, software: 'SwiftShader' }, null);
    expect(c.backend).toBe('wasm');
    expect(c.source).toBe('software');
    expect(c.reason).toBe('Your WebGPU adapter is a software renderer (SwiftShader): WASM is faster here; WebGPU stays selectable.');
    expect(chooseBackend({ webgpuUsable: true, software: 'a fallback adapter' }, null).reason).toMatch(/^Your WebGPU adapter is a fallback adapter: WASM/);
  });
  it('a measurement decides over the rules', () => {
    expect(chooseBackend({ webgpuUsable: true, software: null }, outcome)).toMatchObject({ backend: 'webgpu', source: 'probe', probe: outcome });
    const wasmWon = { ...outcome, backend: 'wasm' as const, webgpuMs: 4000 };
    expect(chooseBackend({ webgpuUsable: true, software: null }, wasmWon).backend).toBe('wasm');
    expect(chooseBackend({ webgpuUsable: true, software: 'SwiftShader' }, wasmWon).source).toBe('probe');
  });
  it('WebGPU on a hardware adapter until measured', () => {
    expect(chooseBackend({ webgpuUsable: true, software: null }, null)).toMatchObject({ backend: 'webgpu', source: 'unmeasured' });
  });
  it('the probe is described with both timings and its date', () => {
    expect(describeProbe(outcome)).toBe('chosen by a 812 ms (WebGPU) vs 1,930 ms (WASM) probe on 2026-11-29');
    expect(describeProbe({ ...outcome, webgpuMs: Infinity, backend: 'wasm' })).toBe('chosen by a failed (WebGPU) vs 1,930 ms (WASM) probe on 2026-11-29');
  });
});

// ---- the probe itself, with a fake engine worker and a fake clock ----

const ladder = parseLadderManifest(arithJson);
const config = { modelBaseUrl: 'http://x/models/', wasmPaths: { mjs: 'a', wasm: 'b' }, remoteHost: null, params: {} } satisfies WorkerRunConfig;

function hardwareCap(): GpuCapability {
  const base = { webgpu: true, webgpuUsable: true, softwareRenderer: null, ...hw, shaderF16: true, limits: null, fallbackReason: null, selfTest: { passed: true, detail: '' } };
  return { ...base, backend: 'webgpu', choice: chooseBackend({ webgpuUsable: true, software: null }, null) };
}

function memoryStorage(): ChoiceStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

/** A worker whose calls take a fixed time per backend on a fake clock. */
function fakeWorker(msPerCall: { webgpu: number; wasm: number } | { webgpu: 'throws'; wasm: number }) {
  let clock = 0;
  const calls: { device: string; model: string; items: number }[] = [];
  const score: ScoreFn = async (ref, items) => {
    calls.push({ device: ref.device, model: ref.id, items: items.length });
    const t = msPerCall[ref.device as 'webgpu' | 'wasm'];
    if (t === 'throws') throw new Error('device lost');
    clock += t;
    return { results: [] };
  };
  return { score, calls, now: () => clock };
}

describe('runBackendProbe', () => {
  it('times both backends on the default experiment\'s largest model after a warm-up, stores and applies the choice', async () => {
    const storage = memoryStorage();
    const worker = fakeWorker({ webgpu: 300, wasm: 2000 });
    const cap = await runBackendProbe(hardwareCap(), ladder, worker.score, config, storage, worker.now);
    const models = defaultSpec(ladder, 'wasm').models;
    expect(worker.calls).toEqual([
      { device: 'wasm', model: models[0].id, items: 1 },
      { device: 'wasm', model: models.at(-1)!.id, items: 16 },
      { device: 'webgpu', model: models.at(-1)!.id, items: 16 },
    ]);
    expect(cap.backend).toBe('webgpu');
    expect(cap.choice.source).toBe('probe');
    // The warm-up call is not in the timings.
    expect(cap.choice.probe).toMatchObject({ webgpuMs: 300, wasmMs: 2000, items: 16, model: models.at(-1)!.id });
    expect(storage.data.size).toBe(1);
    // A later page load reads it back.
    expect(withStoredChoice(hardwareCap(), storage).choice).toEqual(cap.choice);
  });
  it('a backend that throws loses the probe', async () => {
    const worker = fakeWorker({ webgpu: 'throws', wasm: 2000 });
    const cap = await runBackendProbe(hardwareCap(), ladder, worker.score, config, null, worker.now);
    expect(cap.backend).toBe('wasm');
    expect(cap.choice.reason).toMatch(/^WASM was faster here: chosen by a failed \(WebGPU\) vs 2,000 ms \(WASM\) probe on \d{4}-\d\d-\d\d\.$/);
  });
  it('a corrupt stored value is ignored: the page measures again', () => {
    const storage = memoryStorage();
    storage.setItem(probeCacheKey(hw, undefined), '{"backend":"webgpu","webgpuMs":"fast"}');
    expect(withStoredChoice(hardwareCap(), storage).choice.source).toBe('unmeasured');
    const throwing: ChoiceStorage = { getItem: () => { throw new Error('SecurityError'); }, setItem: () => undefined };
    expect(withStoredChoice(hardwareCap(), throwing).choice.source).toBe('unmeasured');
  });
});
