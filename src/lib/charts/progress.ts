/**
 * Per-model progress of a run ("rungs" of the ladder), folded from the runner's events: loading
 * (bytes), then scoring (items, tokens/s, time left), then done / error / cancelled.
 *
 * Times are measured here, on the page's clock (the `now` passed with each event), from the
 * request to the model's first scored items (issue 13): the engine's own load time ends when
 * transformers.js returns the model, but ONNX Runtime's WebGPU backend compiles its kernels on the
 * first forward pass, so a WebGPU rung sat at "loading 100%" for 15-40 s and then said "load <1 s".
 */
import type { ModelRun } from '../results/types.ts';
import type { RunEvent } from '../run/runner.ts';

export type RungStatus = 'waiting' | 'loading' | 'scoring' | 'done' | 'error' | 'cancelled';

export interface Rung {
  modelId: string;
  params: number | null;
  status: RungStatus;
  /** Bytes per file while loading. */
  files: Record<string, { loaded: number; total: number }>;
  itemsDone: number;
  itemsTotal: number;
  tokensPerSecond: number | null;
  /** Estimated time left for this model's items, from its pace so far. */
  msLeft: number | null;
  error: string | null;
  /** The engine's load time (from the run's record). */
  loadMs: number | null;
  scoreMs: number | null;
  /** Page clock (ms) when the model was requested, when its first items were scored, when it finished. */
  startedAt: number | null;
  readyAt: number | null;
  finishedAt: number | null;
}

export function initialRungs(models: readonly { id: string }[], paramsOf: (id: string) => number | null, itemsTotal = 0): Rung[] {
  return models.map((m) => ({
    modelId: m.id,
    params: paramsOf(m.id),
    status: 'waiting',
    files: {},
    itemsDone: 0,
    itemsTotal,
    tokensPerSecond: null,
    msLeft: null,
    error: null,
    loadMs: null,
    scoreMs: null,
    startedAt: null,
    readyAt: null,
    finishedAt: null,
  }));
}

function update(rungs: readonly Rung[], modelId: string, f: (r: Rung) => Rung): Rung[] {
  return rungs.map((r) => (r.modelId === modelId ? f(r) : r));
}

/** Fraction of bytes loaded over every file seen so far, or null before the first report. */
export function loadFraction(rung: Rung): number | null {
  const files = Object.values(rung.files);
  const total = files.reduce((s, f) => s + f.total, 0);
  if (total <= 0) return null;
  return Math.min(1, files.reduce((s, f) => s + f.loaded, 0) / total);
}

/** Loading, with every byte in (or none reported): the runtime is preparing the model (WebGPU: compiling). */
export function isPreparing(rung: Rung): boolean {
  if (rung.status !== 'loading') return false;
  const f = loadFraction(rung);
  return f === null || f >= 1;
}

/**
 * Time from the request to the first scored items (download, session creation, kernel
 * compilation and one batch), or null while unknown. A model that landed without progress
 * events counts up to its finish.
 */
export function readyMs(rung: Rung): number | null {
  if (rung.startedAt === null) return null;
  const end = rung.readyAt ?? rung.finishedAt;
  return end === null ? null : Math.max(0, end - rung.startedAt);
}

/**
 * Fold one runner event into the rungs (pure: returns a new array). `now` is the page's clock
 * when the event arrived (performance.now()); without it no times are measured.
 */
export function applyRunEvent(rungs: readonly Rung[], event: RunEvent, now: number | null = null): Rung[] {
  switch (event.type) {
    case 'items':
      return rungs.map((r) => ({ ...r, itemsTotal: event.count }));
    case 'model-start':
      return update(rungs, event.modelId, (r) => ({ ...r, status: 'loading', startedAt: now, readyAt: null, finishedAt: null }));
    case 'load-progress':
      return update(rungs, event.modelId, (r) => ({ ...r, status: 'loading', files: { ...r.files, [event.file]: { loaded: event.loaded, total: event.total } } }));
    case 'score-progress': {
      const { itemsDone, itemsTotal, tokensProcessed, elapsedMs } = event;
      const seconds = elapsedMs / 1000;
      const tokensPerSecond = seconds > 0 ? tokensProcessed / seconds : null;
      const msLeft = itemsDone > 0 && elapsedMs > 0 ? ((itemsTotal - itemsDone) * elapsedMs) / itemsDone : null;
      return update(rungs, event.modelId, (r) => ({ ...r, status: 'scoring', itemsDone, itemsTotal, tokensPerSecond, msLeft, readyAt: r.readyAt ?? (itemsDone > 0 ? now : null) }));
    }
    case 'batch':
      return [...rungs];
    case 'model-done': {
      const next = applyModelRun(rungs, event.model);
      return now === null ? next : update(next, event.model.id, (r) => ({ ...r, finishedAt: now }));
    }
  }
}

/** A finished model (from an event or the final result) sets its rung's final state. */
export function applyModelRun(rungs: readonly Rung[], m: ModelRun): Rung[] {
  return update(rungs, m.id, (r) => ({
    ...r,
    status: m.status,
    error: m.error,
    itemsDone: m.items.length,
    msLeft: m.status === 'done' ? 0 : null,
    loadMs: m.loadMs,
    scoreMs: m.status === 'done' ? m.scoreMs : null,
  }));
}

/** After a cancel: every rung that never finished is cancelled. */
export function cancelPending(rungs: readonly Rung[]): Rung[] {
  return rungs.map((r) => (r.status === 'done' || r.status === 'error' ? r : { ...r, status: 'cancelled', msLeft: null }));
}

/** Progress of one rung in [0, 1] (loading counts bytes, scoring counts items), null when unknown. */
export function rungFraction(rung: Rung): number | null {
  if (rung.status === 'done') return 1;
  if (rung.status === 'loading') return loadFraction(rung);
  if (rung.status === 'scoring' && rung.itemsTotal > 0) return rung.itemsDone / rung.itemsTotal;
  return 0;
}

/** Below this much measured time a rate is mostly start-up noise (the estimate jumped 40 → 6 s in 0.1 s). */
export const MIN_ETA_MEASURE_MS = 2000;

/**
 * Time left for the whole run from its measured throughput: items scored so far in this run
 * per ms since its first model was requested (loads included), times the items still to score.
 * Null until something has been scored over at least MIN_ETA_MEASURE_MS; models a resumed run
 * had finished before are neither in the rate nor in what is left.
 */
export function runMsLeft(rungs: readonly Rung[], now: number): number | null {
  const started = rungs.filter((r) => r.startedAt !== null);
  if (started.length === 0) return null;
  const t0 = Math.min(...started.map((r) => r.startedAt!));
  const done = started.reduce((s, r) => s + r.itemsDone, 0);
  const elapsed = now - t0;
  if (done <= 0 || elapsed < MIN_ETA_MEASURE_MS) return null;
  const left = rungs.reduce((s, r) => (r.status === 'waiting' || r.status === 'loading' || r.status === 'scoring' ? s + Math.max(0, r.itemsTotal - r.itemsDone) : s), 0);
  return (left * elapsed) / done;
}

/** "about 12 s left", "about 3 min left": rounded to what an estimate can promise. */
export function describeTimeLeft(ms: number | null): string | null {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return null;
  const s = ms / 1000;
  if (s < 1.5) return 'about 1 s left';
  if (s < 10) return `about ${Math.round(s)} s left`;
  if (s < 57.5) return `about ${Math.round(s / 5) * 5} s left`;
  const min = Math.round(s / 60);
  if (min < 60) return `about ${min} min left`;
  const h = Math.floor(min / 60);
  return `about ${h} h ${min % 60} min left`;
}

/** "1 item", "40 items"; "1 model", "5 models". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** Overall progress in [0, 1]: finished models count whole, the one in flight by its items. */
export function overallFraction(rungs: readonly Rung[]): number {
  if (rungs.length === 0) return 0;
  const sum = rungs.reduce((s, r) => {
    if (r.status === 'done' || r.status === 'error' || r.status === 'cancelled') return s + 1;
    if (r.status === 'scoring' && r.itemsTotal > 0) return s + r.itemsDone / r.itemsTotal;
    return s;
  }, 0);
  return sum / rungs.length;
}
