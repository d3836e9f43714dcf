/**
 * Per-model progress of a run ("rungs" of the ladder), folded from the runner's events: loading
 * (bytes), then scoring (items, tokens/s, time left), then done / error / cancelled.
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
  loadMs: number | null;
  scoreMs: number | null;
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

/** Fold one runner event into the rungs (pure: returns a new array). */
export function applyRunEvent(rungs: readonly Rung[], event: RunEvent): Rung[] {
  switch (event.type) {
    case 'items':
      return rungs.map((r) => ({ ...r, itemsTotal: event.count }));
    case 'model-start':
      return update(rungs, event.modelId, (r) => ({ ...r, status: 'loading' }));
    case 'load-progress':
      return update(rungs, event.modelId, (r) => ({ ...r, status: 'loading', files: { ...r.files, [event.file]: { loaded: event.loaded, total: event.total } } }));
    case 'score-progress': {
      const { itemsDone, itemsTotal, tokensProcessed, elapsedMs } = event;
      const seconds = elapsedMs / 1000;
      const tokensPerSecond = seconds > 0 ? tokensProcessed / seconds : null;
      const msLeft = itemsDone > 0 && elapsedMs > 0 ? ((itemsTotal - itemsDone) * elapsedMs) / itemsDone : null;
      return update(rungs, event.modelId, (r) => ({ ...r, status: 'scoring', itemsDone, itemsTotal, tokensPerSecond, msLeft }));
    }
    case 'batch':
      return [...rungs];
    case 'model-done':
      return applyModelRun(rungs, event.model);
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
