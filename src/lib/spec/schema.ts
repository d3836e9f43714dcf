/**
 * ExperimentSpec: everything that changes a number, in one versioned, validated object.
 * It travels in share links and files, so it is validated at every boundary (parseSpec).
 */
import * as v from 'valibot';
import { GENERATION_METRIC_IDS, METRIC_IDS } from '../metrics/registry.ts';
import { IntIn, TaskSpecSchema } from '../tasks/schema.ts';

// Task configuration lives with the task registry; re-exported for callers of the spec.
export {
  ArithmeticTaskSchema,
  AddChoiceTaskSchema,
  ImportedTaskSchema,
  TaskSpecSchema,
  OPERATIONS,
  TEMPLATE_IDS,
  MIN_DIGITS,
  MAX_DIGITS,
  MAX_ITEMS_PER_VARIANT,
  MAX_K_SHOT,
  MIN_CHOICES,
  MAX_CHOICES,
  type ArithmeticTask,
  type AddChoiceTask,
  type ImportedTask,
  type TaskSpec,
  type TaskKindId,
  type Operation,
  type TemplateId,
} from '../tasks/schema.ts';

export const SPEC_FORMAT = 'emergence-lab/spec';
export const SPEC_VERSION = 1;

export const DEVICES = ['webgpu', 'wasm', 'cpu'] as const;
export const DTYPES = ['fp32', 'fp16', 'q8', 'q4', 'q4f16', 'int8', 'uint8', 'bnb4'] as const;
export const MODEL_SOURCES = ['bundled', 'hub'] as const;
export const MAX_MODELS = 16;

// Hub-style ids: "owner/name" (letters, digits, '-', '_', '.'); bundled ids: "arith/<id>".
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._\/-]{0,99}$/;

export const ModelRefSchema = v.object({
  id: v.pipe(v.string(), v.regex(MODEL_ID, 'model id must look like "owner/name"')),
  source: v.picklist(MODEL_SOURCES, 'model source must be "bundled" or "hub"'),
  /** Resolved commit for Hub models (null until resolved); "bundled" models use the app version. */
  revision: v.nullable(v.pipe(v.string(), v.regex(REVISION, 'revision has invalid characters'))),
  dtype: v.picklist(DTYPES, `dtype must be one of ${DTYPES.join(', ')}`),
  device: v.picklist(DEVICES, `device must be one of ${DEVICES.join(', ')}`),
});

export const ExperimentSpecSchema = v.object({
  format: v.literal(SPEC_FORMAT, `not an Emergence Lab spec (format must be "${SPEC_FORMAT}")`),
  version: v.literal(SPEC_VERSION, `unsupported spec version (this app reads version ${SPEC_VERSION})`),
  appVersion: v.pipe(v.string(), v.maxLength(40)),
  task: TaskSpecSchema,
  models: v.pipe(
    v.array(ModelRefSchema),
    v.minLength(1, 'choose at least one model'),
    v.maxLength(MAX_MODELS, `at most ${MAX_MODELS} models`),
  ),
  /**
   * Metrics the run aggregates and charts (definitions: docs/metrics.md, fixed by appVersion).
   * Absent in older specs (all arithmetic): every generation metric. A variant is aggregated under
   * the listed metrics of its request type (generation or choice).
   */
  metrics: v.optional(
    v.pipe(
      v.array(v.picklist(METRIC_IDS, `metric must be one of ${METRIC_IDS.join(', ')}`)),
      v.minLength(1, 'choose at least one metric'),
      v.check((ids) => new Set(ids).size === ids.length, 'metrics must not repeat'),
    ),
    () => [...GENERATION_METRIC_IDS],
  ),
  /** Seed of the bootstrap intervals (aggregation is part of the result). */
  bootstrapSeed: IntIn(0, 2 ** 31 - 1, 'bootstrap seed'),
});

export type ModelRef = v.InferOutput<typeof ModelRefSchema>;
export type ExperimentSpec = v.InferOutput<typeof ExperimentSpecSchema>;
export type Device = (typeof DEVICES)[number];
export type Dtype = (typeof DTYPES)[number];
