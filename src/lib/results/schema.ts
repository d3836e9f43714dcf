/**
 * valibot schemas of the RunResult format (src/lib/results/types.ts), used wherever a run comes
 * from outside this page: imported files, share-link headers, IndexedDB records.
 * Every number must be finite and every collection and string is bounded (limits.ts).
 */
import * as v from 'valibot';
import { RUN_FORMAT, RUN_VERSION, TOKEN_LEVEL_METRIC_IDS } from './types.ts';
import { METRICS, type MetricInfo } from '../metrics/registry.ts';
import { DEVICES, ExperimentSpecSchema, ModelRefSchema } from '../spec/schema.ts';
import { hashTaskData } from '../tasks/imported/parse.ts';
import { ImportedTaskDataSchema } from '../tasks/imported/schema.ts';
import { runConsistencyProblem } from './consistency.ts';
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

/** A stored per-item value of a metric: its range, 0/1 or whole numbers, null only where it may not apply (from the registry). */
function metricValueSchema(m: MetricInfo) {
  const lo = m.range.min ?? -1e9;
  const hi = m.range.max ?? 1e9;
  const base = m.binary ? bit : m.integer ? intIn(lo, hi) : finiteIn(lo, hi);
  return m.nullable ? v.nullable(base) : base;
}

/** Per-item metrics of one family: exactly the registry's ids (an unknown or misspelt id is refused). */
function metricsSchemaOf(family: MetricInfo['family']) {
  return v.strictObject(Object.fromEntries(METRICS.filter((m) => m.family === family).map((m) => [m.id, metricValueSchema(m)])), (issue) =>
    issue.expected === 'never' ? `unknown metric "${String(issue.input === undefined ? v.getDotPath(issue) : issue.received)}"` : issue.message,
  );
}

export const ItemMetricsSchema = metricsSchemaOf('generation');
export const ChoiceMetricsSchema = metricsSchemaOf('choice');

const tokenIds = v.pipe(v.array(intIn(0, 2 ** 31 - 1)), v.maxLength(MAX_TOKENS));

/** Facts about an item (operands, example index): short keys, short text or finite numbers. */
const ItemMetaSchema = v.pipe(
  v.record(v.pipe(v.string(), v.regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'meta keys are short identifiers'), notReserved), v.union([text(200), finite])),
  v.check((m) => Object.keys(m).length <= 16, 'at most 16 meta fields'),
);

const itemBase = {
  id: NameSchema,
  variant: NameSchema,
  prompt: text(MAX_TEXT.prompt),
  meta: ItemMetaSchema,
};

/** lm-eval interop (issue 17): lab records never carry token_ids_unavailable; it picks the record schema below. */
const labRecordMark = v.optional(v.undefined());

export const GenerationItemRecordSchema = v.pipe(
  v.object({
    ...itemBase,
    kind: v.optional(v.literal('generation')),
    token_ids_unavailable: labRecordMark, // lm-eval interop (issue 17): absent on lab records
    target: v.pipe(text(MAX_TEXT.target), v.minLength(1, 'the target is empty')),
    alternatives: v.optional(v.pipe(v.array(v.pipe(text(MAX_TEXT.target), v.minLength(1))), v.maxLength(64))),
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

const MAX_ITEM_CHOICES = 20;

export const ChoiceItemRecordSchema = v.pipe(
  v.object({
    ...itemBase,
    kind: v.literal('choice'),
    token_ids_unavailable: labRecordMark, // lm-eval interop (issue 17): absent on lab records
    target: text(MAX_TEXT.target),
    choices: v.pipe(v.array(v.pipe(text(MAX_TEXT.target), v.minLength(1, 'a choice is empty'))), v.minLength(2), v.maxLength(MAX_ITEM_CHOICES)),
    target_delimiter: text(20),
    answer_index: intIn(0, MAX_ITEM_CHOICES - 1),
    target_scores: v.nullable(v.pipe(v.array(finite), v.maxLength(MAX_ITEM_CHOICES))),
    choice_logprobs: v.pipe(v.array(finiteIn(-1e9, 1e-3)), v.maxLength(MAX_ITEM_CHOICES)),
    choice_token_counts: v.pipe(v.array(intIn(1, MAX_TOKENS)), v.maxLength(MAX_ITEM_CHOICES)),
    choice_is_greedy: v.pipe(v.array(v.boolean()), v.maxLength(MAX_ITEM_CHOICES)),
    metrics: ChoiceMetricsSchema,
  }),
  v.check((i) => {
    const k = i.choices.length;
    return i.choice_logprobs.length === k && i.choice_token_counts.length === k && i.choice_is_greedy.length === k && (i.target_scores === null || i.target_scores.length === k);
  }, 'choices, choice_logprobs, choice_token_counts, choice_is_greedy (and target_scores) must have one entry per choice'),
  v.check((i) => i.answer_index < i.choices.length, 'answer_index must point at a choice'),
);

// ─── lm-evaluation-harness imports (issue 17, src/lib/interop): records without token ids ─────────
// An lm-eval log has texts and summed log-likelihoods but no token ids, so imported items store
// empty token arrays, say why in `token_ids_unavailable`, and hold null for the token-level
// metrics. ItemRecordSchema picks these by the presence of token_ids_unavailable.
const tokenlessReason = v.pipe(v.string(), v.minLength(1, 'say why the token ids are missing'), v.maxLength(MAX_TEXT.error));
const noTokens = v.pipe(v.array(v.never()), v.maxLength(0));
const TOKEN_LEVEL = new Set<string>(TOKEN_LEVEL_METRIC_IDS);

export const TokenlessGenerationItemRecordSchema = v.object({
  ...itemBase,
  kind: v.optional(v.literal('generation')),
  target: v.pipe(text(MAX_TEXT.target), v.minLength(1, 'the target is empty')),
  alternatives: v.optional(v.pipe(v.array(v.pipe(text(MAX_TEXT.target), v.minLength(1))), v.maxLength(64))),
  target_token_ids: noTokens,
  target_logprobs: noTokens,
  target_is_argmax: noTokens,
  output_text: text(MAX_TEXT.output),
  output_token_ids: noTokens,
  generated: v.boolean(),
  token_ids_unavailable: tokenlessReason,
  metrics: v.strictObject(
    Object.fromEntries(METRICS.filter((m) => m.family === 'generation').map((m) => [m.id, TOKEN_LEVEL.has(m.id) ? v.null() : metricValueSchema(m)])),
  ),
});

export const TokenlessChoiceItemRecordSchema = v.pipe(
  v.object({
    ...ChoiceItemRecordSchema.pipe[0].entries,
    choice_token_counts: noTokens,
    token_ids_unavailable: tokenlessReason,
  }),
  v.check((i) => {
    const k = i.choices.length;
    return i.choice_logprobs.length === k && i.choice_is_greedy.length === k && (i.target_scores === null || i.target_scores.length === k);
  }, 'choices, choice_logprobs, choice_is_greedy (and target_scores) must have one entry per choice'),
  v.check((i) => i.answer_index < i.choices.length, 'answer_index must point at a choice'),
);

const LmEvalComparisonSchema = v.object({
  task: text(200),
  variant: NameSchema,
  lmEvalMetric: text(100),
  labMetric: MetricIdSchema,
  lmEval: finite,
  lab: finite,
  agrees: v.boolean(),
});

export const ModelProvenanceSchema = v.object({
  source: v.picklist(['lab', 'lm-eval'] as const),
  label: text(200),
  env: v.optional(v.lazy(() => RunEnvironmentSchema)),
  lmEval: v.optional(
    v.object({
      version: v.nullable(text(40)),
      gitHash: v.nullable(text(80)),
      modelArgs: v.nullable(text(MAX_TEXT.env)),
      batchSize: v.nullable(text(40)),
      date: v.nullable(text(40)),
      transformersVersion: v.nullable(text(40)),
      taskHashes: v.pipe(v.record(v.pipe(text(200), notReserved), text(128)), v.check((r) => Object.keys(r).length <= MAX_VARIANTS, `at most ${MAX_VARIANTS} tasks`)),
      files: v.pipe(v.array(text(400)), v.maxLength(2 * MAX_VARIANTS + 1)),
      comparisons: v.pipe(v.array(LmEvalComparisonSchema), v.maxLength(MAX_VARIANTS * MAX_METRICS)),
    }),
  ),
  unavailableMetrics: v.optional(v.record(MetricIdSchema, text(MAX_TEXT.error))),
});
// ─── end of lm-eval interop block ───────────────────────────────────────────────────────────────

export const ItemRecordSchema = v.variant('kind', [
  // lm-eval interop (issue 17): `token_ids_unavailable` (absent on lab records, a reason on imported ones)
  // picks the record schema, so a lab record is checked, and its errors reported, by the lab's schemas only.
  v.variant('token_ids_unavailable', [ChoiceItemRecordSchema, GenerationItemRecordSchema, TokenlessChoiceItemRecordSchema, TokenlessGenerationItemRecordSchema]),
]);

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

/** A model's position on its ladder (types.ts ModelScale). */
export const ModelScaleSchema = v.object({
  axis: v.picklist(['params', 'compute'] as const, 'scale axis must be params or compute'),
  value: v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1e30)),
  run: v.pipe(v.string(), v.maxLength(100)),
});

export const ModelRunSchema = v.pipe(
  v.object({
    ...modelMetaEntries,
    loadMs: finiteIn(0, 1e10),
    scoreMs: finiteIn(0, 1e10),
    items: v.pipe(v.array(ItemRecordSchema), v.maxLength(MAX_MODEL_ITEMS, `at most ${MAX_MODEL_ITEMS} items per model`)),
    aggregates: v.object({ variants: v.pipe(v.array(VariantAggregateSchema), v.maxLength(MAX_VARIANTS)) }),
    provenance: v.optional(ModelProvenanceSchema), // lm-eval interop (issue 17)
    scale: v.optional(ModelScaleSchema), // checkpoint ladders (issue 15); absent in older files
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

/** A reason a measure or its interval is undefined: short text, never a number. */
const reason = v.pipe(v.string(), v.minLength(1), v.maxLength(500));
/** Measures are bounded: jump share in [0, 1], ratios and breakthroughness finite and below 1e9 in size. */
const MEASURE_LIMIT = 1e9;

/** A measure: value with interval (lo ≤ value ≤ hi), value whose interval is undefined, or undefined; each with a reason. */
function measureSchema(min: number, max: number) {
  const num = finiteIn(min, max);
  return v.union([
    v.pipe(
      v.strictObject({ value: num, lo: num, hi: num }),
      v.check((m) => m.lo <= m.value && m.value <= m.hi, 'a measure must satisfy lo ≤ value ≤ hi'),
    ),
    v.strictObject({ value: num, intervalUndefined: reason }),
    v.strictObject({ undefined: reason }),
  ]);
}

const step = { step: intIn(0, MAX_MODELS - 2), delta: finiteIn(-MEASURE_LIMIT, MEASURE_LIMIT) };
const JumpShareSchema = v.union([
  v.pipe(
    v.strictObject({ value: finiteIn(0, 1), lo: finiteIn(0, 1), hi: finiteIn(0, 1), ...step }),
    v.check((m) => m.lo <= m.value && m.value <= m.hi, 'a measure must satisfy lo ≤ value ≤ hi'),
  ),
  v.strictObject({ value: finiteIn(0, 1), intervalUndefined: reason, ...step }),
  v.strictObject({ undefined: reason }),
]);

const boundedRecord = <T extends v.GenericSchema>(value: T, max: number, what: string) =>
  v.pipe(
    v.record(MetricIdSchema, value),
    v.check((m) => Object.keys(m).length <= max, `at most ${max} ${what}`),
  );

export const VariantEmergenceMeasuresSchema = v.object({
  models: v.pipe(v.array(ModelRefSchema.entries.id), v.maxLength(MAX_MODELS)),
  reference: MetricIdSchema,
  metrics: boundedRecord(v.strictObject({ breakthroughness: measureSchema(-MEASURE_LIMIT, MEASURE_LIMIT), jumpShare: JumpShareSchema }), MAX_METRICS, 'metrics'),
  // Jump-share ratios lie in [1/(m − 1), m − 1]; breakthroughness ratios may have either sign.
  mirage: boundedRecord(v.strictObject({ jumpShare: measureSchema(0, MAX_MODELS), breakthroughness: measureSchema(-MEASURE_LIMIT, MEASURE_LIMIT) }), MAX_METRICS, 'metrics'),
});

export const EmergenceMeasuresSchema = v.pipe(
  v.record(NameSchema, VariantEmergenceMeasuresSchema),
  v.check((e) => Object.keys(e).length <= MAX_VARIANTS, `at most ${MAX_VARIANTS} variants`),
);

export const RunResultSchema = v.pipe(
  v.object({
    format: v.literal(RUN_FORMAT, `not an Emergence Lab run (format must be "${RUN_FORMAT}")`),
    version: v.literal(RUN_VERSION, `unsupported run version (this lab reads version ${RUN_VERSION})`),
    spec: ExperimentSpecSchema,
    env: RunEnvironmentSchema,
    models: v.pipe(v.array(ModelRunSchema), v.maxLength(MAX_MODELS, `at most ${MAX_MODELS} models`)),
    emergence: EmergenceSchema,
    emergence_measures: v.optional(EmergenceMeasuresSchema),
    intervals: v.optional(v.picklist(['standard', 'legacy-percentile'] as const)),
    task_data: v.optional(ImportedTaskDataSchema),
  }),
  v.check((r) => r.task_data === undefined || r.spec.task.kind === 'imported', 'task_data belongs only to runs of an imported task'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    // Numbers a run could not have produced: out of range, or a summary its own items contradict.
    const problem = runConsistencyProblem(dataset.value as unknown as Parameters<typeof runConsistencyProblem>[0]);
    if (problem) addIssue({ message: `impossible numbers: ${problem}` });
  }),
  v.check(
    (r) => r.task_data === undefined || (r.spec.task.kind === 'imported' && hashTaskData(r.task_data) === r.spec.task.hash),
    'task_data is not the task file the spec names (its SHA-256 differs from spec.task.hash)',
  ),
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
