/**
 * From validated records to what the app uses: a RunResult (finished or partial) and the
 * resume state that runExperiment takes (RunOptions.completed / partialItems).
 */
import { RUN_FORMAT, RUN_VERSION, type ItemRecord, type ModelRun, type RunResult } from '../results/types.ts';
import type { ModelRef } from '../spec/schema.ts';
import type { BatchRecord, ModelRecord, RunRecord } from './records.ts';

export interface ResumeState {
  /** Models that finished ('done'); runExperiment keeps them and does not run them again. */
  completed: ModelRun[];
  /** Items already scored per model id, for models that did not finish. */
  partialItems: Record<string, ItemRecord[]>;
}

/** Saved batches per model id, in saving order, later copies of an item replacing earlier ones. */
export function itemsByModel(batches: readonly BatchRecord[]): Map<string, ItemRecord[]> {
  const byModel = new Map<string, Map<string, ItemRecord>>();
  for (const b of [...batches].sort((x, y) => (x.seq ?? 0) - (y.seq ?? 0))) {
    let items = byModel.get(b.modelId);
    if (!items) byModel.set(b.modelId, (items = new Map()));
    for (const item of b.items) items.set(item.id, item);
  }
  return new Map([...byModel].map(([id, items]) => [id, [...items.values()]]));
}

function unfinishedModel(ref: ModelRef, items: ItemRecord[]): ModelRun {
  const saved = items.length > 0;
  return {
    id: ref.id,
    params: null,
    dtype: ref.dtype,
    device: ref.device,
    status: 'cancelled',
    error: saved ? `Interrupted after ${items.length} items; resume the run to finish this model.` : 'Not run yet; resume the run to run this model.',
    loadMs: 0,
    scoreMs: 0,
    items,
    aggregates: { variants: [] },
  };
}

/**
 * A finished run: its saved models in spec order. An unfinished one: one ModelRun per spec
 * model, finished ones as saved, the others 'cancelled' with the items saved so far.
 */
export function assembleRun(run: RunRecord, models: readonly ModelRecord[], batches: readonly BatchRecord[]): RunResult {
  const bySlot = new Map(models.map((m) => [m.slot, m.model]));
  const partial = itemsByModel(batches);
  const ordered =
    run.status === 'done'
      ? [...models].sort((a, b) => a.slot - b.slot).map((m) => m.model)
      : run.spec.models.map((ref, slot) => bySlot.get(slot) ?? unfinishedModel(ref, partial.get(ref.id) ?? []));
  return {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    spec: run.spec,
    env: run.env,
    models: ordered,
    emergence: run.emergence ?? {},
    ...(run.emergence_measures ? { emergence_measures: run.emergence_measures } : {}),
    ...(run.intervals ? { intervals: run.intervals } : {}),
    ...(run.task_data ? { task_data: run.task_data } : {}),
  };
}

export function resumeState(models: readonly ModelRecord[], batches: readonly BatchRecord[]): ResumeState {
  const completed = models.filter((m) => m.model.status === 'done').map((m) => m.model);
  const partialItems: Record<string, ItemRecord[]> = {};
  // A model that stopped (cancelled, error) resumes from its items plus any saved after.
  const stopped = models.filter((m) => m.model.status !== 'done').map((m) => ({ seq: -1, v: 1, runId: m.runId, modelId: m.model.id, items: m.model.items, bytes: 0 }));
  for (const [id, items] of itemsByModel([...stopped, ...batches])) {
    if (!completed.some((m) => m.id === id) && items.length > 0) partialItems[id] = items;
  }
  return { completed, partialItems };
}
