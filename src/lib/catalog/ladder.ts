/**
 * Model ladders as data. The bundled ladder's manifest (static/models/arith/ladder.json) is
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
  finalTrainLoss: v.number(),
});

const LadderManifestSchema = v.object({
  format: v.literal('emergence-lab/ladder'),
  version: v.literal(1),
  id: v.pipe(v.string(), v.regex(/^[a-z0-9-]+$/)),
  name: v.string(),
  task: v.string(),
  template: v.object({ id: v.string(), prompt: v.string(), target: v.string(), endToken: v.nullable(v.string()) }),
  digits: v.tuple([v.number(), v.number()]),
  greedyMargin: v.pipe(v.number(), v.integer(), v.minValue(1)),
  models: v.pipe(v.array(LadderModelSchema), v.minLength(1)),
});

export type LadderManifest = v.InferOutput<typeof LadderManifestSchema>;
export type LadderModel = v.InferOutput<typeof LadderModelSchema>;

export function parseLadderManifest(input: unknown): LadderManifest {
  const r = v.safeParse(LadderManifestSchema, input);
  if (!r.success) {
    throw new CatalogError(`The bundled ladder manifest is invalid: ${r.issues.slice(0, 3).map((i) => `${v.getDotPath(i) ?? ''} ${i.message}`).join('; ')}`);
  }
  return r.output;
}

/** Model ids as the engine and specs use them: "<ladder>/<model>". */
export function ladderModelId(ladder: LadderManifest, model: LadderModel): string {
  return `${ladder.id}/${model.id}`;
}

/** Models ordered by parameter count (the x axis of every chart). */
export function modelsByScale(ladder: LadderManifest): LadderModel[] {
  return [...ladder.models].sort((a, b) => a.params - b.params);
}

/** Parameter count of a bundled model id, or null when it is not in this ladder. */
export function paramsOfBundled(ladder: LadderManifest, modelId: string): number | null {
  const m = ladder.models.find((x) => ladderModelId(ladder, x) === modelId);
  return m ? m.params : null;
}

/** The experiment a visitor sees on first load: the bundled ladder x addition, 1-5 digits. */
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
    models: modelsByScale(ladder).map((m) => ({ id: ladderModelId(ladder, m), source: 'bundled' as const, revision: null, dtype: 'fp32' as const, device })),
    metrics: [...GENERATION_METRIC_IDS],
    bootstrapSeed: 1,
  };
}
