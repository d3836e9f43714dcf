/**
 * Orchestrate one experiment: items from the spec, then each model in turn (load, score in
 * batches, metrics, aggregates). A model that fails is recorded with its error and the rest of
 * the ladder still runs; cancellation stops at the next batch boundary.
 */
import { CancelledError, describeModelError } from '../engine/errors.ts';
import type { Engine, LoadedModel, ScoreOptions } from '../engine/types.ts';
import { emergenceScores } from '../metrics/emergence.ts';
import { GENERATION_METRIC_IDS } from '../metrics/registry.ts';
import type { ExperimentSpec, ModelRef } from '../spec/schema.ts';
import { generateArithmeticItems } from '../tasks/arithmetic.ts';
import type { GenerationItem } from '../tasks/types.ts';
import { RUN_FORMAT, RUN_VERSION, type ItemRecord, type ModelRun, type RunEnvironment, type RunResult } from './results.ts';
import { aggregateModelItems, toItemRecord } from './score-model.ts';

export type RunEvent =
  | { type: 'items'; count: number }
  | { type: 'model-start'; modelId: string; index: number }
  | { type: 'load-progress'; modelId: string; file: string; loaded: number; total: number }
  | { type: 'score-progress'; modelId: string; itemsDone: number; itemsTotal: number; tokensProcessed: number; elapsedMs: number }
  | { type: 'batch'; modelId: string; items: ItemRecord[] }
  | { type: 'model-done'; model: ModelRun };

export interface RunOptions {
  env: Omit<RunEnvironment, 'finishedAt'>;
  /** Parameter count for a model (from the catalog), or null when unknown. */
  paramsOf: (ref: ModelRef) => number | null;
  onEvent?: (e: RunEvent) => void | Promise<void>;
  signal?: AbortSignal;
  score?: Omit<ScoreOptions, 'signal' | 'onProgress' | 'onBatch'>;
  /** Models already finished (resume): they are kept and not run again. */
  completed?: ModelRun[];
  /** Items already scored for the model in flight (resume), keyed by item id. */
  partialItems?: Record<string, ItemRecord[]>;
}

function emptyModelRun(ref: ModelRef, params: number | null): ModelRun {
  return { id: ref.id, params, dtype: ref.dtype, device: ref.device, status: 'done', error: null, loadMs: 0, scoreMs: 0, items: [], aggregates: { variants: [] } };
}

async function runModel(engine: Engine, spec: ExperimentSpec, ref: ModelRef, items: GenerationItem[], opts: RunOptions): Promise<ModelRun> {
  const run = emptyModelRun(ref, opts.paramsOf(ref));
  const done = new Map((opts.partialItems?.[ref.id] ?? []).map((r) => [r.id, r]));
  const todo = items.filter((i) => !done.has(i.id));
  // Items a resumed run already had; `done` grows as batches land, so it can't be added to progress.
  const resumedCount = items.length - todo.length;
  let model: LoadedModel | null = null;
  const t0 = Date.now();
  try {
    model = await engine.load(ref, {
      signal: opts.signal,
      onProgress: (p) => void opts.onEvent?.({ type: 'load-progress', ...p }),
    });
    run.loadMs = Date.now() - t0;
    const t1 = Date.now();
    const byId = new Map(items.map((i) => [i.id, i]));
    await model.score(todo, {
      ...opts.score,
      signal: opts.signal,
      onProgress: (p) => void opts.onEvent?.({ type: 'score-progress', ...p, itemsDone: p.itemsDone + resumedCount, itemsTotal: items.length }),
      onBatch: async (batch) => {
        const records = batch.map((raw) => toItemRecord(byId.get(raw.itemId)!, raw));
        for (const r of records) done.set(r.id, r);
        await opts.onEvent?.({ type: 'batch', modelId: ref.id, items: records });
      },
    });
    run.scoreMs = Date.now() - t1;
  } catch (err) {
    run.status = err instanceof CancelledError ? 'cancelled' : 'error';
    run.error = describeModelError(err, ref, model ? 'scoring' : 'loading');
  } finally {
    await model?.dispose().catch(() => undefined);
  }
  // Items in spec order, whatever order batches finished in.
  run.items = items.filter((i) => done.has(i.id)).map((i) => done.get(i.id)!);
  if (run.status === 'done') run.aggregates = { variants: aggregateModelItems(run.items, spec.bootstrapSeed, spec.metrics ?? GENERATION_METRIC_IDS) };
  return run;
}

/** Emergence score per variant and metric across finished models ordered by parameter count. */
export function computeEmergence(models: ModelRun[]): RunResult['emergence'] {
  const ladder = models.filter((m) => m.status === 'done' && m.params !== null).sort((a, b) => a.params! - b.params!);
  const out: RunResult['emergence'] = {};
  if (ladder.length < 2) return out;
  for (const { variant } of ladder[0].aggregates.variants) {
    const perModel = ladder.map((m) => {
      const agg = m.aggregates.variants.find((x) => x.variant === variant);
      return Object.fromEntries(Object.entries(agg?.metrics ?? {}).map(([k, s]) => [k, s.mean]));
    });
    const ids = GENERATION_METRIC_IDS.filter((id) => perModel.every((values) => id in values));
    out[variant] = emergenceScores(perModel, ids);
  }
  return out;
}

export async function runExperiment(spec: ExperimentSpec, engine: Engine, opts: RunOptions): Promise<RunResult> {
  const items = generateArithmeticItems(spec.task);
  await opts.onEvent?.({ type: 'items', count: items.length });
  const models: ModelRun[] = [];
  for (const [index, ref] of spec.models.entries()) {
    const finished = opts.completed?.find((m) => m.id === ref.id && m.status === 'done');
    if (finished) {
      models.push(finished);
      continue;
    }
    if (opts.signal?.aborted) {
      models.push({ ...emptyModelRun(ref, opts.paramsOf(ref)), status: 'cancelled', error: 'The run was cancelled.' });
      continue;
    }
    await opts.onEvent?.({ type: 'model-start', modelId: ref.id, index });
    const run = await runModel(engine, spec, ref, items, opts);
    models.push(run);
    await opts.onEvent?.({ type: 'model-done', model: run });
  }
  return {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    spec,
    env: { ...opts.env, finishedAt: new Date().toISOString() },
    models,
    emergence: computeEmergence(models),
  };
}
