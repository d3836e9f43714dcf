/** Writes shared by finishModel, finishRun and importRun, inside the caller's transaction. */
import type { IDBPTransaction } from 'idb';
import type { RunResult } from '../results/types.ts';
import { RunFileError } from '../share/errors.ts';
import { validateRunResult } from '../share/run-file.ts';
import { StorageError } from './errors.ts';
import { slotsOf } from './naming.ts';
import { jsonBytes, RECORD_VERSION, type ModelRecord, type RunDb, type RunRecord } from './records.ts';

export type WriteTx = IDBPTransaction<RunDb, ('runs' | 'models' | 'batches')[], 'readwrite'>;

/** Delete a model's saved batches (their items are in the model record now). */
export async function deleteBatches(tx: WriteTx, runId: string, modelId: string): Promise<void> {
  const batches = tx.objectStore('batches');
  for (const key of await batches.index('byRunModel').getAllKeys([runId, modelId])) await batches.delete(key);
}

/** Replace everything saved for a run by a finished result, in the caller's transaction. */
export async function writeResult(tx: WriteTx, run: RunRecord, result: RunResult, at: string, status: 'done' | 'cancelled' = 'done'): Promise<void> {
  const models = tx.objectStore('models');
  for (const key of await models.index('byRun').getAllKeys(run.id)) await models.delete(key);
  for (const key of await tx.objectStore('batches').index('byRun').getAllKeys(run.id)) await tx.objectStore('batches').delete(key);
  const slots = slotsOf(result.spec, result.models);
  if (!slots) throw new StorageError('This run lists a model more often than its spec does, so it cannot be saved.', 'invalid-input', run.id);
  let bytes = 0;
  for (const [k, model] of result.models.entries()) {
    const record: ModelRecord = { v: RECORD_VERSION, runId: run.id, slot: slots[k], model, bytes: 0 };
    record.bytes = jsonBytes(record);
    bytes += record.bytes;
    await models.put(record);
  }
  const done: RunRecord = {
    ...run,
    spec: result.spec,
    env: result.env,
    emergence: result.emergence,
    ...(result.emergence_measures ? { emergence_measures: result.emergence_measures } : {}),
    ...(result.intervals ? { intervals: result.intervals } : {}),
    status,
    error: null,
    modelsDone: result.models.filter((m) => m.status === 'done').length,
    modelsTotal: result.spec.models.length,
    updatedAt: at,
  };
  done.bytes = bytes + jsonBytes(done);
  await tx.objectStore('runs').put(done);
}

export function validResult(result: RunResult, id: string | null): RunResult {
  try {
    return validateRunResult(result);
  } catch (e) {
    if (e instanceof RunFileError) throw new StorageError(`This run cannot be saved: ${e.message}`, 'invalid-input', id, e.issues);
    throw e;
  }
}
