/**
 * valibot schemas of the RunResult format (src/lib/run/results.ts), used wherever a run comes
 * from outside this page: imported files, share-link headers, IndexedDB records.
 * Every number must be finite and every collection and string is bounded (limits.ts).
 */
import * as v from 'valibot';
import { RUN_FORMAT, RUN_VERSION } from '../run/results.ts';
import { DEVICES, ExperimentSpecSchema, ModelRefSchema, OPERATIONS, MAX_DIGITS, MIN_DIGITS } from '../spec/schema.ts';
import { MAX_METRICS, MAX_MODEL_ITEMS, MAX_MODELS, MAX_TEXT, MAX_TOKENS, MAX_VARIANTS } from './limits.ts';

/** Keys that would touch Object.prototype if ever assigned to a plain object. */
const RESERVED_KEYS = new Set(['__proto__', 'prototype', 'constructor']);
const notReserved = v.check((k: string) => !RESERVED_KEYS.has(k), 'this name is reserved');

/** Variant names such as "add/3d" and item ids such as "add-3d-17". */
export const NameSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9/_.:+-]{0,199}$/, 'must start with a letter or digit and use only letters, digits and / _ . : + -'),
  notReserved,
);
/** Metric ids such as "exact_match". */
export const MetricIdSchema = v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_]{0,63}$/, 'metric ids are lowercase snake_case'), notReserved);

export const text = (max: number) => v.pipe(v.string(), v.maxLength(max, `text longer than ${max} characters`));
const finite = v.pipe(v.number(), v.finite('must be a finite number'));
const finiteIn = (min: number, max: number) => v.pipe(finite, v.minValue(min), v.maxValue(max));
export const intIn = (min: number, max: number) => v.pipe(v.number(), v.integer('must be a whole number'), v.minValue(min), v.maxValue(max));
const bit = v.union([v.literal(0), v.literal(1)], 'must be 0 or 1');
/** Raw log-probs may exceed 0 by float rounding up to metrics' LOGPROB_TOLERANCE (1e-3). */
const rawLogprob = finiteIn(-1e9, 1e-3);

export const MeanCISchema = v.pipe(
  v.object({ mean: finite, lo: finite, hi: finite, n: intIn(1, MAX_MODEL_ITEMS) }),
  v.check((c) => c.lo <= c.mean && c.mean <= c.hi, 'interval must satisfy lo ≤ mean ≤ hi'),
);

export const VariantAggregateSchema = v.object({
  variant: NameSchema,
  n: intIn(0, MAX_MODEL_ITEMS),
  metrics: v.pipe(
    v.record(MetricIdSchema, MeanCISchema),
    v.check((m) => Object.keys(m).length <= MAX_METRICS, `at most ${MAX_METRICS} metrics`),
  ),
});

export const ItemMetricsSchema = v.object({
  exact_match: bit,
  token_edit_distance: intIn(0, 1e6),
  char_edit_distance: intIn(0, 1e6),
  digit_accuracy: v.nullable(finiteIn(0, 1)),
  target_logprob: finiteIn(-1e9, 0),
  mean_token_logprob: finiteIn(-1e9, 0),
  per_token_prob: finiteIn(0, 1),
  greedy_consistency: bit,
  predicted_exact_match: finiteIn(0, 1),
});

const tokenIds = v.pipe(v.array(intIn(0, 2 ** 31 - 1)), v.maxLength(MAX_TOKENS));

export const ItemRecordSchema = v.pipe(
  v.object({
    id: NameSchema,
    variant: NameSchema,
    prompt: text(MAX_TEXT.prompt),
    target: v.pipe(text(MAX_TEXT.target), v.minLength(1, 'the target is empty')),
    meta: v.object({
      operation: v.picklist(OPERATIONS),
      digits: intIn(MIN_DIGITS, MAX_DIGITS),
      a: intIn(0, Number.MAX_SAFE_INTEGER),
      b: intIn(0, Number.MAX_SAFE_INTEGER),
    }),
    target_token_ids: v.pipe(tokenIds, v.minLength(1, 'the target has no tokens')),
    target_logprobs: v.pipe(v.array(rawLogprob), v.maxLength(MAX_TOKENS)),
    target_is_argmax: v.pipe(v.array(v.boolean()), v.maxLength(MAX_TOKENS)),
    output_text: text(MAX_TEXT.output),
    output_token_ids: tokenIds,
    generated: v.boolean(),
    metrics: ItemMetricsSchema,
  }),
  v.check(
    (i) => i.target_logprobs.length === i.target_token_ids.length && i.target_is_argmax.length === i.target_token_ids.length,
    'target_token_ids, target_logprobs and target_is_argmax must have the same length',
  ),
);

export const ModelStatusSchema = v.picklist(['done', 'error', 'cancelled'] as const, 'status must be done, error or cancelled');

/** Fields of a model run besides its items, timings and aggregates (shared with link headers). */
export const modelMetaEntries = {
  id: ModelRefSchema.entries.id,
  params: v.nullable(intIn(0, 1e15)),
  dtype: ModelRefSchema.entries.dtype,
  device: ModelRefSchema.entries.device,
  status: ModelStatusSchema,
  error: v.nullable(text(MAX_TEXT.error)),
};

export const ModelRunSchema = v.pipe(
  v.object({
    ...modelMetaEntries,
    loadMs: finiteIn(0, 1e10),
    scoreMs: finiteIn(0, 1e10),
    items: v.pipe(v.array(ItemRecordSchema), v.maxLength(MAX_MODEL_ITEMS, `at most ${MAX_MODEL_ITEMS} items per model`)),
    aggregates: v.object({ variants: v.pipe(v.array(VariantAggregateSchema), v.maxLength(MAX_VARIANTS)) }),
  }),
  v.check((m) => new Set(m.items.map((i) => i.id)).size === m.items.length, 'item ids must not repeat within a model'),
  v.check((m) => new Set(m.aggregates.variants.map((a) => a.variant)).size === m.aggregates.variants.length, 'variants must not repeat'),
);

const isoTime = v.pipe(v.string(), v.maxLength(40), v.isoTimestamp('must be an ISO 8601 timestamp'));

export const RunEnvironmentSchema = v.object({
  app: text(40),
  runtime: text(MAX_TEXT.env),
  backend: v.picklist(DEVICES),
  adapter: v.nullable(
    v.object({ vendor: v.nullable(text(MAX_TEXT.env)), architecture: v.nullable(text(MAX_TEXT.env)), shaderF16: v.boolean() }),
  ),
  transformersVersion: text(40),
  startedAt: isoTime,
  finishedAt: v.nullable(isoTime),
});

/** Emergence score per variant per metric. */
export const EmergenceSchema = v.pipe(
  v.record(NameSchema, v.record(MetricIdSchema, finite)),
  v.check((e) => Object.keys(e).length <= MAX_VARIANTS, `at most ${MAX_VARIANTS} variants`),
  v.check((e) => Object.values(e).every((m) => Object.keys(m).length <= MAX_METRICS), `at most ${MAX_METRICS} metrics per variant`),
);

export const RunResultSchema = v.pipe(
  v.object({
    format: v.literal(RUN_FORMAT, `not an Emergence Lab run (format must be "${RUN_FORMAT}")`),
    version: v.literal(RUN_VERSION, `unsupported run version (this lab reads version ${RUN_VERSION})`),
    spec: ExperimentSpecSchema,
    env: RunEnvironmentSchema,
    models: v.pipe(v.array(ModelRunSchema), v.maxLength(MAX_MODELS, `at most ${MAX_MODELS} models`)),
    emergence: EmergenceSchema,
  }),
  v.check((r) => {
    const ids = new Set(r.spec.models.map((m) => m.id));
    return r.models.every((m) => ids.has(m.id));
  }, 'every model of the run must be one of the models in its spec'),
);

/** "path: message" lines for error reports. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string[] {
  return issues.map((issue) => {
    const path = v.getDotPath(issue);
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}
