/**
 * Model ladders as data. The bundled ladders' manifests (static/models/<id>/ladder.json) are
 * written by training/emergence_training/export.py and validated here before use.
 */
import * as v from 'valibot';
import { GENERATION_METRIC_IDS } from '../metrics/registry.ts';
import { APP_VERSION } from '../spec/defaults.ts';
import { SPEC_FORMAT, SPEC_VERSION, type Device, type ExperimentSpec } from '../spec/schema.ts';

export class CatalogError extends Error {
  override name = 'CatalogError';
}

const LadderModelSchema = v.object({
  id: v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9-]*$/)),
  params: v.pipe(v.number(), v.integer(), v.minValue(1)),
  nonEmbeddingParams: v.pipe(v.number(), v.integer(), v.minValue(0)),
  layers: v.number(),
  dModel: v.number(),
  heads: v.number(),
  trainTokens: v.number(),
  /** Optimizer steps this model (or checkpoint) was trained for. */
  trainSteps: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  /** Training compute in FLOPs, C = 6·N·D (N parameters, D training tokens; Kaplan et al. 2020). */
  compute: v.optional(v.pipe(v.number(), v.minValue(0))),
  /** Train loss at the end of training (of a checkpoint: at its step). */
  finalTrainLoss: v.number(),
});

/** What a ladder varies, so what a chart's x axis is: model size, or training compute (checkpoints of one run). */
export const LADDER_AXES = ['params', 'compute'] as const;
export type LadderAxis = (typeof LADDER_AXES)[number];

const LadderManifestSchema = v.object({
  format: v.literal('emergence-lab/ladder'),
  version: v.literal(1),
  id: v.pipe(v.string(), v.regex(/^[a-z0-9-]+$/)),
  name: v.string(),
  task: v.string(),
  template: v.object({ id: v.string(), prompt: v.string(), target: v.string(), endToken: v.nullable(v.string()) }),
  digits: v.tuple([v.number(), v.number()]),
  greedyMargin: v.pipe(v.number(), v.integer(), v.minValue(1)),
  axis: v.optional(v.picklist(LADDER_AXES), 'params'),
  /** The models of the default experiment (all when absent): new rungs can join without changing it. */
  defaultModels: v.optional(v.pipe(v.array(v.string()), v.minLength(1))),
  models: v.pipe(v.array(LadderModelSchema), v.minLength(1)),
});

/**
 * The ladders shipped under static/models/: the size ladder the lab opens with, and the
 * training-compute ladder (checkpoints of two of its rungs at increasing step counts).
 */
export const BUNDLED_LADDERS = [
  { id: 'arith', label: 'Arithmetic ladder (size)' },
  { id: 'arith-steps', label: 'Training checkpoints (compute)' },
] as const;
export type BundledLadderId = (typeof BUNDLED_LADDERS)[number]['id'];
export const DEFAULT_LADDER: BundledLadderId = 'arith';

export function isBundledLadderId(id: string): id is BundledLadderId {
  return BUNDLED_LADDERS.some((l) => l.id === id);
}

/**
 * The bundled ladder a spec's models come from ("<ladder>/<model>" ids), or null when it has no
 * bundled model. A spec names its models, not its ladder: saved runs, files and links of any
 * ladder need no extra field. The first bundled model decides (a form run uses one ladder).
 */
export function bundledLadderOf(models: readonly { id: string; source: string }[]): BundledLadderId | null {
  const first = models.find((m) => m.source === 'bundled');
  const prefix = first?.id.split('/')[0] ?? '';
  return isBundledLadderId(prefix) ? prefix : null;
}

/** Where a bundled ladder's manifest is served, relative to the app's base URL. */
export function bundledLadderUrl(id: BundledLadderId): string {
  return `models/${id}/ladder.json`;
}

export type LadderManifest = v.InferOutput<typeof LadderManifestSchema>;
export type LadderModel = v.InferOutput<typeof LadderModelSchema>;

export function parseLadderManifest(input: unknown): LadderManifest {
  const r = v.safeParse(LadderManifestSchema, input);
  if (!r.success) {
    throw new CatalogError(`The bundled ladder manifest is invalid: ${r.issues.slice(0, 3).map((i) => `${v.getDotPath(i) ?? ''} ${i.message}`).join('; ')}`);
  }
  const ids = new Set(r.output.models.map((m) => m.id));
  if (ids.size !== r.output.models.length) throw new CatalogError(`The bundled ladder manifest "${r.output.id}" lists a model id twice.`);
  const unknown = (r.output.defaultModels ?? []).filter((id) => !ids.has(id));
  if (unknown.length > 0) throw new CatalogError(`The bundled ladder manifest "${r.output.id}" names default models it does not list: ${unknown.join(', ')}.`);
  if (r.output.axis === 'compute') {
    const missing = r.output.models.filter((m) => m.compute === undefined || m.trainSteps === undefined).map((m) => m.id);
    if (missing.length > 0) throw new CatalogError(`The training-compute ladder "${r.output.id}" has models without trainSteps or compute: ${missing.join(', ')}.`);
    const unnamed = r.output.models.filter((m) => !m.id.endsWith(`-s${m.trainSteps}`)).map((m) => m.id);
    if (unnamed.length > 0) throw new CatalogError(`The training-compute ladder "${r.output.id}" has checkpoints not named "<model>-s<step>": ${unnamed.join(', ')}.`);
  }
  return r.output;
}

/** Model ids as the engine and specs use them: "<ladder>/<model>". */
export function ladderModelId(ladder: LadderManifest, model: LadderModel): string {
  return `${ladder.id}/${model.id}`;
}

/**
 * The x value of a model on this ladder's axis: its parameter count, or on a training-compute
 * ladder its compute in FLOPs (6·N·D).
 */
export function scaleOf(ladder: LadderManifest, model: LadderModel): number {
  return ladder.axis === 'compute' ? (model.compute ?? 0) : model.params;
}

/** Models ordered along the ladder's axis (the x axis of every chart); ties by parameter count. */
export function modelsByScale(ladder: LadderManifest): LadderModel[] {
  return [...ladder.models].sort((a, b) => scaleOf(ladder, a) - scaleOf(ladder, b) || a.params - b.params);
}

/**
 * The training run a model belongs to. On a training-compute ladder every checkpoint folder is
 * named "<run>-s<trainSteps>" (training/emergence_training/export.py), and checkpoints of one
 * run share their size; on a size ladder each model is its own run.
 */
export function trainingRunOf(ladder: LadderManifest, model: LadderModel): string {
  if (ladder.axis !== 'compute') return model.id;
  const suffix = `-s${model.trainSteps}`;
  return model.id.endsWith(suffix) ? model.id.slice(0, -suffix.length) : model.id;
}

/** The training runs of a ladder in order of size, each with its models ordered along the axis. */
export function trainingRuns(ladder: LadderManifest): { run: string; params: number; models: LadderModel[] }[] {
  const runs = new Map<string, LadderModel[]>();
  for (const m of modelsByScale(ladder)) runs.set(trainingRunOf(ladder, m), [...(runs.get(trainingRunOf(ladder, m)) ?? []), m]);
  return [...runs].map(([run, models]) => ({ run, params: models[0].params, models })).sort((a, b) => a.params - b.params);
}

/**
 * The models of the default experiment: the manifest's `defaultModels`; on a training-compute
 * ladder without them, the checkpoints of its largest training run (one run: its checkpoints
 * form one line along compute, see ladderSelectionProblem); otherwise every model.
 */
export function defaultModels(ladder: LadderManifest): LadderModel[] {
  if (ladder.defaultModels) return modelsByScale(ladder).filter((m) => ladder.defaultModels!.includes(m.id));
  if (ladder.axis === 'compute') return trainingRuns(ladder).at(-1)!.models;
  return modelsByScale(ladder);
}

/**
 * Why a selection of this ladder's models cannot be one experiment, or null. On a
 * training-compute ladder the x axis is compute and the measures (jump share, breakthroughness)
 * run along the checkpoints in order: checkpoints of two runs of different size would be joined
 * into one line, as if one model had grown, so a run takes the checkpoints of one model.
 */
export function ladderSelectionProblem(ladder: LadderManifest, modelIds: readonly string[]): string | null {
  if (ladder.axis !== 'compute') return null;
  const runs = [...new Set(ladder.models.filter((m) => modelIds.includes(ladderModelId(ladder, m))).map((m) => trainingRunOf(ladder, m)))];
  if (runs.length < 2) return null;
  return `Choose the checkpoints of one model: ${runs.join(' and ')} are different training runs, and joining their checkpoints along training compute would read as one model learning. Run them one after the other to compare.`;
}

/** Parameter count of a bundled model id, or null when it is not in this ladder. */
export function paramsOfBundled(ladder: LadderManifest, modelId: string): number | null {
  const m = ladder.models.find((x) => ladderModelId(ladder, x) === modelId);
  return m ? m.params : null;
}

/** A bundled model's x value on its ladder's axis (parameters or compute), or null when it is not in this ladder. */
export function scaleOfBundled(ladder: LadderManifest, modelId: string): number | null {
  const m = ladder.models.find((x) => ladderModelId(ladder, x) === modelId);
  return m ? scaleOf(ladder, m) : null;
}

/**
 * Where a bundled model sits on its ladder, as a run records it (results/types.ts ModelScale):
 * the axis, its value there and its training run. Null when the id is not in this ladder.
 */
export function ladderPositionOf(ladder: LadderManifest, modelId: string): { axis: LadderAxis; value: number; run: string } | null {
  const m = ladder.models.find((x) => ladderModelId(ladder, x) === modelId);
  return m ? { axis: ladder.axis, value: scaleOf(ladder, m), run: trainingRunOf(ladder, m) } : null;
}

/** The experiment a visitor sees on first load: the ladder's default models x addition, 1-5 digits. */
export function defaultSpec(ladder: LadderManifest, device: Device): ExperimentSpec {
  const [lo, hi] = ladder.digits;
  return {
    format: SPEC_FORMAT,
    version: SPEC_VERSION,
    appVersion: APP_VERSION,
    task: {
      kind: 'arithmetic',
      operation: 'add',
      digits: Array.from({ length: hi - lo + 1 }, (_, i) => lo + i),
      perVariant: 40,
      seed: 7,
      kShot: 0,
      template: 'arith-plain',
    },
    models: defaultModels(ladder)
      .map((m) => ({ id: ladderModelId(ladder, m), source: 'bundled' as const, revision: null, dtype: 'fp32' as const, device })),
    metrics: [...GENERATION_METRIC_IDS],
    bootstrapSeed: 1,
  };
}
