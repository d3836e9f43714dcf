/** Reading records back: validate, and turn any problem into a StorageError naming the run. */
import * as v from 'valibot';
import { describeIssues } from '../results/schema.ts';
import { StorageError } from './errors.ts';
import { BatchRecordSchema, ModelRecordSchema, RECORD_VERSION, RunRecordSchema, type BatchRecord, type ModelRecord, type RunRecord } from './records.ts';

function recordVersion(raw: unknown): number | null {
  return typeof raw === 'object' && raw !== null && typeof (raw as { v?: unknown }).v === 'number' ? (raw as { v: number }).v : null;
}

function checked<T>(schema: v.GenericSchema<unknown, T>, raw: unknown, what: string, runId: string | null): T {
  const version = recordVersion(raw);
  if (version !== null && version > RECORD_VERSION) {
    throw new StorageError(`Saved run ${runId ?? ''} was written by a newer version of Emergence Lab; open it there.`.replace('  ', ' '), 'newer-version', runId);
  }
  const r = v.safeParse(schema, raw);
  if (!r.success) {
    const issues = describeIssues(r.issues);
    throw new StorageError(`A saved run is damaged (${what}: ${issues.slice(0, 2).join('; ')}). Delete it to clear this message; other saved runs are fine.`, 'corrupt', runId, issues);
  }
  return r.output;
}

export const checkRun = (raw: unknown, runId: string | null): RunRecord => checked(RunRecordSchema, raw, 'run record', runId);
// The schemas check metric ids against the registry at run time; their static types are the registry's.
export const checkModel = (raw: unknown, runId: string): ModelRecord => checked(ModelRecordSchema, raw, 'finished model', runId) as ModelRecord;
export const checkBatch = (raw: unknown, runId: string): BatchRecord => checked(BatchRecordSchema, raw, 'saved batch', runId) as BatchRecord;

/** The id of a run record that may be anything, for error reports. */
export function rawRunId(raw: unknown, key: IDBValidKey): string {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : String(key);
}
