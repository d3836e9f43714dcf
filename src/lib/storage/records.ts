/**
 * What IndexedDB holds (schema version DB_VERSION, record version RECORD_VERSION):
 *   runs     key id                 one small record per run: spec, env, status, counters
 *   models   key [runId, slot]      a finished ModelRun (slot = its index in spec.models)
 *   batches  key autoIncrement      items saved while a model runs, removed when it finishes
 * Records are validated on every read: storage outlives app versions and can be edited in
 * devtools, so a bad record becomes a StorageError, never a crash.
 */
import * as v from 'valibot';
import type { DBSchema } from 'idb';
import type { ItemRecord, ModelRun, RunEnvironment, RunResult } from '../results/types.ts';
import type { ExperimentSpec } from '../spec/schema.ts';
import type { ImportedTaskData } from '../tasks/imported/data.ts';
import { ImportedTaskDataSchema } from '../tasks/imported/schema.ts';
import type { StoredRunStatus } from '../run/lifecycle.ts';
import { ExperimentSpecSchema } from '../spec/schema.ts';
import { EmergenceMeasuresSchema, EmergenceSchema, intIn, ItemRecordSchema, ModelRunSchema, RunEnvironmentSchema } from '../results/schema.ts';
import { MAX_MODEL_ITEMS, MAX_MODELS } from '../share/limits.ts';

export const DB_NAME = 'emergence-lab';
export const DB_VERSION = 1;
export const RECORD_VERSION = 1;
export const MAX_NAME_LENGTH = 200;

export interface RunRecord {
  v: number;
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  /**
   * 'running' while a page writes it, shown as 'interrupted' when none does (RunStore.listRuns);
   * 'cancelled' and 'failed' keep what was scored and can be resumed (src/lib/run/lifecycle.ts).
   */
  status: StoredRunStatus;
  /** Why a 'failed' run stopped (absent in records written before failures were saved). */
  error?: string | null;
  source: 'run' | 'import';
  spec: ExperimentSpec;
  env: RunEnvironment;
  emergence: Record<string, Record<string, number>> | null;
  /** The run's emergence measures and interval method (absent in records saved before them). */
  emergence_measures?: RunResult['emergence_measures'];
  intervals?: RunResult['intervals'];
  modelsDone: number;
  modelsTotal: number;
  /**
   * Approximate stored size: JSON length of the run record and its finished models (batches of
   * a model in flight are counted once the model finishes and absorbs them).
   */
  bytes: number;
  /** The examples of an imported task (resume and reopening need them). */
  task_data?: ImportedTaskData;
}

export interface ModelRecord {
  v: number;
  runId: string;
  slot: number;
  model: ModelRun;
  bytes: number;
}

export interface BatchRecord {
  v: number;
  seq?: number;
  runId: string;
  modelId: string;
  items: ItemRecord[];
  bytes: number;
}

export interface RunDb extends DBSchema {
  runs: { key: string; value: RunRecord };
  models: { key: [string, number]; value: ModelRecord; indexes: { byRun: string } };
  batches: { key: number; value: BatchRecord; indexes: { byRun: string; byRunModel: [string, string] } };
}

const iso = v.pipe(v.string(), v.isoTimestamp());
const RunIdSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,100}$/));

export const RunRecordSchema = v.object({
  v: v.literal(RECORD_VERSION),
  id: RunIdSchema,
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_NAME_LENGTH)),
  createdAt: iso,
  updatedAt: iso,
  status: v.picklist(['running', 'done', 'cancelled', 'failed'] as const),
  error: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(4000)))),
  source: v.picklist(['run', 'import'] as const),
  spec: ExperimentSpecSchema,
  env: RunEnvironmentSchema,
  emergence: v.nullable(EmergenceSchema),
  emergence_measures: v.optional(EmergenceMeasuresSchema),
  intervals: v.optional(v.picklist(['standard', 'legacy-percentile'] as const)),
  modelsDone: intIn(0, MAX_MODELS),
  modelsTotal: intIn(1, MAX_MODELS),
  bytes: intIn(0, Number.MAX_SAFE_INTEGER),
  task_data: v.optional(ImportedTaskDataSchema),
});

export const ModelRecordSchema = v.object({
  v: v.literal(RECORD_VERSION),
  runId: RunIdSchema,
  slot: intIn(0, MAX_MODELS - 1),
  model: ModelRunSchema,
  bytes: intIn(0, Number.MAX_SAFE_INTEGER),
});

export const BatchRecordSchema = v.object({
  v: v.literal(RECORD_VERSION),
  seq: v.optional(v.number()),
  runId: RunIdSchema,
  modelId: v.string(),
  items: v.pipe(v.array(ItemRecordSchema), v.maxLength(MAX_MODEL_ITEMS)),
  bytes: intIn(0, Number.MAX_SAFE_INTEGER),
});

/** JSON size of a value, the unit of RunRecord.bytes. */
export function jsonBytes(value: unknown): number {
  return JSON.stringify(value).length;
}
