/**
 * ExperimentSpec: everything that changes a number, in one versioned, validated object.
 * It travels in share links and files, so it is validated at every boundary (parseSpec).
 */
import * as v from 'valibot';
import { GENERATION_METRIC_IDS } from '../metrics/registry.ts';

export const SPEC_FORMAT = 'emergence-lab/spec';
export const SPEC_VERSION = 1;

export const OPERATIONS = ['add', 'sub', 'mul'] as const;
export const DEVICES = ['webgpu', 'wasm', 'cpu'] as const;
export const DTYPES = ['fp32', 'fp16', 'q8', 'q4', 'q4f16', 'int8', 'uint8', 'bnb4'] as const;
export const TEMPLATE_IDS = ['arith-plain', 'qa', 'math-expr'] as const;
export const MODEL_SOURCES = ['bundled', 'hub'] as const;

/** Digit counts the task generators accept (operands of n digits). */
export const MIN_DIGITS = 1;
export const MAX_DIGITS = 8;
/** Items per task variant: enough to show resolution effects, small enough for a browser. */
export const MAX_ITEMS_PER_VARIANT = 1000;
export const MAX_K_SHOT = 8;
export const MAX_MODELS = 16;

// Hub-style ids: "owner/name" (letters, digits, '-', '_', '.'); bundled ids: "arith/<id>".
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._\/-]{0,99}$/;

const IntIn = (min: number, max: number, what: string) =>
  v.pipe(
    v.number(`${what} must be a number`),
    v.integer(`${what} must be a whole number`),
    v.minValue(min, `${what} must be at least ${min}`),
    v.maxValue(max, `${what} must be at most ${max}`),
  );

export const ModelRefSchema = v.object({
  id: v.pipe(v.string(), v.regex(MODEL_ID, 'model id must look like "owner/name"')),
  source: v.picklist(MODEL_SOURCES, 'model source must be "bundled" or "hub"'),
  /** Resolved commit for Hub models (null until resolved); "bundled" models use the app version. */
  revision: v.nullable(v.pipe(v.string(), v.regex(REVISION, 'revision has invalid characters'))),
  dtype: v.picklist(DTYPES, `dtype must be one of ${DTYPES.join(', ')}`),
  device: v.picklist(DEVICES, `device must be one of ${DEVICES.join(', ')}`),
});

export const ArithmeticTaskSchema = v.object({
  kind: v.literal('arithmetic', 'task kind must be "arithmetic"'),
  operation: v.picklist(OPERATIONS, `operation must be one of ${OPERATIONS.join(', ')}`),
  digits: v.pipe(
    v.array(IntIn(MIN_DIGITS, MAX_DIGITS, 'digit count')),
    v.minLength(1, 'choose at least one digit count'),
    v.maxLength(MAX_DIGITS, 'too many digit counts'),
    v.check((d) => new Set(d).size === d.length, 'digit counts must not repeat'),
  ),
  perVariant: IntIn(1, MAX_ITEMS_PER_VARIANT, 'items per variant'),
  seed: IntIn(0, 2 ** 31 - 1, 'seed'),
  kShot: IntIn(0, MAX_K_SHOT, 'k-shot'),
  template: v.picklist(TEMPLATE_IDS, `template must be one of ${TEMPLATE_IDS.join(', ')}`),
});

export const ExperimentSpecSchema = v.object({
  format: v.literal(SPEC_FORMAT, `not an Emergence Lab spec (format must be "${SPEC_FORMAT}")`),
  version: v.literal(SPEC_VERSION, `unsupported spec version (this app reads version ${SPEC_VERSION})`),
  appVersion: v.pipe(v.string(), v.maxLength(40)),
  task: ArithmeticTaskSchema,
  models: v.pipe(
    v.array(ModelRefSchema),
    v.minLength(1, 'choose at least one model'),
    v.maxLength(MAX_MODELS, `at most ${MAX_MODELS} models`),
  ),
  /**
   * Metrics the run aggregates and charts (definitions: docs/metrics.md, fixed by appVersion).
   * Absent in older specs: every generation metric.
   */
  metrics: v.optional(
    v.pipe(
      v.array(v.picklist(GENERATION_METRIC_IDS, `metric must be one of ${GENERATION_METRIC_IDS.join(', ')}`)),
      v.minLength(1, 'choose at least one metric'),
      v.check((ids) => new Set(ids).size === ids.length, 'metrics must not repeat'),
    ),
    () => [...GENERATION_METRIC_IDS],
  ),
  /** Seed of the bootstrap intervals (aggregation is part of the result). */
  bootstrapSeed: IntIn(0, 2 ** 31 - 1, 'bootstrap seed'),
});

export type ModelRef = v.InferOutput<typeof ModelRefSchema>;
export type ArithmeticTask = v.InferOutput<typeof ArithmeticTaskSchema>;
export type ExperimentSpec = v.InferOutput<typeof ExperimentSpecSchema>;
export type Operation = (typeof OPERATIONS)[number];
export type Device = (typeof DEVICES)[number];
export type Dtype = (typeof DTYPES)[number];
export type TemplateId = (typeof TEMPLATE_IDS)[number];
