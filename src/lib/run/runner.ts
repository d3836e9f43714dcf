/**
 * Orchestrate one experiment: items from the spec (through the task registry), then each model
 * in turn (load, score in batches by request type, metrics, aggregates). A model that fails is
 * recorded with its error and the rest of the ladder still runs; cancellation stops at the next
 * batch boundary.
 */
import { CancelledError, describeModelError } from '../engine/errors.ts';
import type { Engine, LoadedModel, ScoreOptions } from '../engine/types.ts';
import { GENERATION_METRIC_IDS } from '../metrics/registry.ts';
import { computeEmergence, computeEmergenceMeasures } from '../results/emergence.ts';
import { aggregateModelItems, toChoiceRecord, toItemRecord } from '../results/records.ts';
import { RUN_FORMAT, RUN_VERSION, type ItemRecord, type ModelRun, type ModelScale, type RunEnvironment, type RunResult } from '../results/types.ts';
import type { ExperimentSpec, ModelRef } from '../spec/schema.ts';
import type { ImportedTaskData } from '../tasks/imported/data.ts';
import { generateItems } from '../tasks/registry.ts';
import { continuationOf, type ChoiceItem, type GenerationItem, type TaskItem } from '../tasks/types.ts';

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
  /** A bundled model's position on its ladder (axis value, training run), recorded on its ModelRun. */
  scaleOf?: (ref: ModelRef) => ModelScale | null;
  onEvent?: (e: RunEvent) => void | Promise<void>;
  signal?: AbortSignal;
  score?: Omit<ScoreOptions, 'signal' | 'onProgress' | 'onBatch'>;
  /** Models already finished (resume): they are kept and not run again. */
  completed?: ModelRun[];
  /** Items already scored for the model in flight (resume), keyed by item id. */
  partialItems?: Record<string, ItemRecord[]>;
  /** The examples of an imported task (spec.task.kind "imported"), already checked against its hash. */
  taskData?: ImportedTaskData | null;
}

function emptyModelRun(ref: ModelRef, opts: Pick<RunOptions, 'paramsOf' | 'scaleOf'>): ModelRun {
  const scale = opts.scaleOf?.(ref) ?? null;
  return { id: ref.id, params: opts.paramsOf(ref), dtype: ref.dtype, device: ref.device, status: 'done', error: null, loadMs: 0, scoreMs: 0, items: [], aggregates: { variants: [] }, ...(scale ? { scale } : {}) };
}

async function runModel(engine: Engine, spec: ExperimentSpec, ref: ModelRef, items: TaskItem[], opts: RunOptions): Promise<ModelRun> {
  const run = emptyModelRun(ref, opts);
  const done = new Map((opts.partialItems?.[ref.id] ?? []).map((r) => [r.id, r]));
  const todo = items.filter((i) => !done.has(i.id));
  const generation = todo.filter((i): i is GenerationItem => i.kind === 'generation');
  const choice = todo.filter((i): i is ChoiceItem => i.kind === 'choice');
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
    const land = async (records: ItemRecord[]) => {
      for (const r of records) done.set(r.id, r);
      await opts.onEvent?.({ type: 'batch', modelId: ref.id, items: records });
    };
    // Progress over both request types: choice items are scored after generation items.
    let before = resumedCount;
    const progress = (p: { itemsDone: number; tokensProcessed: number; elapsedMs: number; modelId: string }) =>
      void opts.onEvent?.({ type: 'score-progress', ...p, itemsDone: p.itemsDone + before, itemsTotal: items.length });
    if (generation.length > 0) {
      await model.score(generation, {
        ...opts.score,
        signal: opts.signal,
        onProgress: progress,
        onBatch: (batch) => land(batch.map((raw) => toItemRecord(byId.get(raw.itemId) as GenerationItem, raw))),
      });
    }
    before += generation.length;
    if (choice.length > 0) {
      await model.scoreChoices(
        choice.map((i) => ({ itemId: i.id, prompt: i.prompt, choices: i.choices.map((_, k) => continuationOf(i, k)), endToken: i.endToken })),
        {
          maxBatchSize: opts.score?.maxBatchSize,
          logitsBudgetBytes: opts.score?.logitsBudgetBytes,
          signal: opts.signal,
          onProgress: progress,
          onBatch: (batch) => land(batch.map((raw) => toChoiceRecord(byId.get(raw.itemId) as ChoiceItem, raw))),
        },
      );
    }
    run.scoreMs = Date.now() - t1;
  } catch (err) {
    run.status = err instanceof CancelledError ? 'cancelled' : 'error';
    run.error = describeModelError(err, ref, model ? 'scoring' : 'loading');
  } finally {
    await model?.dispose().catch(() => undefined);
  }
  // Items in spec order, whatever order batches finished in.
  run.items = items.filter((i) => done.has(i.id)).map((i) => done.get(i.id)!);
  if (run.status === 'done') run.aggregates = { variants: aggregateModelItems(run.items, { seed: spec.bootstrapSeed, model: ref.id, metricIds: spec.metrics ?? GENERATION_METRIC_IDS }) };
  return run;
}

export async function runExperiment(spec: ExperimentSpec, engine: Engine, opts: RunOptions): Promise<RunResult> {
  const items = generateItems(spec.task, { taskData: opts.taskData });
  await opts.onEvent?.({ type: 'items', count: items.length });
  const models: ModelRun[] = [];
  for (const [index, ref] of spec.models.entries()) {
    const finished = opts.completed?.find((m) => m.id === ref.id && m.status === 'done');
    if (finished) {
      models.push(finished);
      continue;
    }
    if (opts.signal?.aborted) {
      models.push({ ...emptyModelRun(ref, opts), status: 'cancelled', error: 'The run was cancelled.' });
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
    emergence_measures: computeEmergenceMeasures(models, spec.bootstrapSeed),
    intervals: 'standard',
    ...(spec.task.kind === 'imported' && opts.taskData ? { task_data: opts.taskData } : {}),
  };
}
