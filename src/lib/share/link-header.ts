/**
 * The JSON header of a link payload: everything but the numbers. It names the shape (which
 * models, variants, metrics and items) that the binary sections then fill in order.
 */
import * as v from 'valibot';
import { ExperimentSpecSchema } from '../spec/schema.ts';
import { ImportedTaskDataSchema } from '../tasks/imported/schema.ts';
import { LOGPROB_STEPS } from './item-columns.ts';
import { MAX_METRICS, MAX_MODEL_ITEMS, MAX_MODELS, MAX_RUN_ITEMS, MAX_VARIANTS } from './limits.ts';
import { EmergenceMeasuresSchema, intIn, MetricIdSchema, modelMetaEntries, NameSchema, RunEnvironmentSchema, text } from '../results/schema.ts';

/** Bit i set ⇔ metrics[i] present. */
const MaskSchema = intIn(0, 2 ** MAX_METRICS - 1);

/** Item ids prefix+start … prefix+(start+count−1), all of one variant (e.g. "add-3d-" 0..39). */
const RangeGroupSchema = v.tuple([NameSchema, text(190), intIn(0, 1e7), intIn(1, MAX_MODEL_ITEMS)]);
/** Item ids listed one by one, all of one variant. */
const ListGroupSchema = v.tuple([NameSchema, v.pipe(v.array(NameSchema), v.minLength(1), v.maxLength(MAX_MODEL_ITEMS))]);

export const HeaderSchema = v.object({
  spec: ExperimentSpecSchema,
  env: RunEnvironmentSchema,
  metrics: v.pipe(
    v.array(MetricIdSchema),
    v.maxLength(MAX_METRICS),
    v.check((m) => new Set(m).size === m.length, 'metric ids must not repeat'),
  ),
  models: v.pipe(
    v.array(
      v.object({
        ...modelMetaEntries,
        variants: v.pipe(v.array(v.tuple([NameSchema, intIn(0, MAX_MODEL_ITEMS), MaskSchema])), v.maxLength(MAX_VARIANTS)),
      }),
    ),
    v.maxLength(MAX_MODELS),
  ),
  emergence: v.pipe(v.array(v.tuple([NameSchema, MaskSchema])), v.maxLength(MAX_VARIANTS)),
  /** The examples of an imported task, when they fit the link (checked against spec.task.hash on decode). */
  task: v.optional(ImportedTaskDataSchema),
  precision: v.picklist(['exact', 'float32'] as const),
  /** r3: how the aggregates' intervals were computed (and are recomputed). r1/r2: always the legacy method. */
  intervals: v.optional(v.picklist(['standard', 'legacy-percentile'] as const)),
  /**
   * r3: the emergence measures, stored (every number range-checked by the run schema) or
   * "recompute" (the decoder computes them from the link's items, as the sender checked).
   */
  measures: v.optional(v.union([v.literal('recompute'), EmergenceMeasuresSchema])),
  items: v.nullable(
    v.object({
      groups: v.pipe(v.array(v.union([RangeGroupSchema, ListGroupSchema])), v.maxLength(MAX_RUN_ITEMS)),
      logprobSteps: v.picklist(LOGPROB_STEPS),
      presence: v.pipe(v.array(v.picklist(['all', 'some', 'none'] as const)), v.maxLength(MAX_MODELS)),
    }),
  ),
});

export type LinkHeader = v.InferOutput<typeof HeaderSchema>;
export type ItemGroup = LinkHeader extends { items: infer I } ? (I extends { groups: (infer G)[] } ? G : never) : never;
