/**
 * RunStore: saved runs in IndexedDB. A run is saved as it progresses (appendBatch per scoring
 * batch, finishModel per model, finishRun at the end), so closing the tab loses at most the
 * batch in flight; getResumeState then gives runExperiment what it needs to continue.
 * Only explicit calls write: decoding a link or parsing a file never touches the store.
 */
import type { IDBPDatabase } from 'idb';
import type { ItemRecord, ModelRun, RunEnvironment, RunResult } from '../results/types.ts';
import { parseSpec } from '../spec/parse.ts';
import { SpecError } from '../spec/errors.ts';
import type { ImportedTaskData } from '../tasks/imported/data.ts';
import type { ExperimentSpec } from '../spec/schema.ts';
import { assembleRun, resumeState, type ResumeState } from './assemble.ts';
import { openRunDb, type OpenOptions } from './db.ts';
import { StorageError, toStorageError } from './errors.ts';
import { jsonBytes, MAX_NAME_LENGTH, RECORD_VERSION, type BatchRecord, type ModelRecord, type RunDb, type RunRecord } from './records.ts';
import { checkBatch, checkModel, checkRun, rawRunId } from './validate.ts';
import { defaultName, randomId, slotOf } from './naming.ts';
import { deleteBatches, validResult, writeResult } from './writes.ts';
import { historyStatus, type HistoryStatus } from '../run/lifecycle.ts';

export type { ResumeState };

/** What the history shows: 'running' only while this page writes the record (see lifecycle.ts). */
export type RunStatus = HistoryStatus;

export interface RunSummary {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  status: RunStatus;
  source: 'run' | 'import';
  modelsDone: number;
  modelsTotal: number;
  bytes: number;
  /** Why a failed run stopped. */
  error: string | null;
}

export interface RunList {
  /** Newest first. */
  runs: RunSummary[];
  /** Records that could not be read; each can still be removed with deleteRun(error.runId). */
  corrupt: StorageError[];
}

export interface StorageUsage {
  /** Sum of saved runs' sizes (JSON length). */
  runsBytes: number;
  /** The browser's estimate for this whole site, when it gives one. */
  usage: number | null;
  quota: number | null;
}

export interface RunStoreOptions extends OpenOptions {
  now?: () => Date;
  newId?: () => string;
}

export class RunStore {
  /** Runs this store is writing now; other 'running' records were left by a closed page. */
  private readonly active = new Set<string>();
  private readonly now: () => Date;
  private readonly newId: () => string;

  private constructor(
    private readonly db: IDBPDatabase<RunDb>,
    opts: RunStoreOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.newId = opts.newId ?? randomId;
  }

  static async open(opts: RunStoreOptions = {}): Promise<RunStore> {
    return new RunStore(await openRunDb(opts), opts);
  }

  close(): void {
    this.db.close();
  }

  private async guard<T>(what: string, runId: string | null, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      throw toStorageError(e, what, runId);
    }
  }

  private notFound(id: string): StorageError {
    return new StorageError('This saved run no longer exists (it may have been deleted in another tab).', 'not-found', id);
  }

  async createRun(spec: ExperimentSpec, env: Omit<RunEnvironment, 'finishedAt'>, name?: string, taskData?: ImportedTaskData | null): Promise<string> {
    let valid: ExperimentSpec;
    try {
      valid = parseSpec(spec);
    } catch (e) {
      if (e instanceof SpecError) throw new StorageError(`Cannot save this run: ${e.message}`, 'invalid-input', null, e.issues);
      throw e;
    }
    const id = this.newId();
    const at = this.now().toISOString();
    const record: RunRecord = {
      v: RECORD_VERSION,
      id,
      name: (name?.trim() || defaultName(valid)).slice(0, MAX_NAME_LENGTH),
      createdAt: at,
      updatedAt: at,
      status: 'running',
      source: 'run',
      spec: valid,
      env: { ...env, finishedAt: null },
      emergence: null,
      modelsDone: 0,
      modelsTotal: valid.models.length,
      bytes: 0,
      ...(valid.task.kind === 'imported' && taskData ? { task_data: taskData } : {}),
    };
    record.bytes = jsonBytes(record);
    await this.guard('saving the new run', id, () => this.db.add('runs', record));
    this.active.add(id);
    return id;
  }

  /** A run record about to be written to; a finished, cancelled or failed run refuses more items. */
  private running(raw: RunRecord | undefined, id: string): RunRecord {
    if (raw === undefined) throw this.notFound(id);
    const run = checkRun(raw, id);
    if (run.status === 'done') throw new StorageError('This run is finished; start a new run to score more items.', 'invalid-state', id);
    if (run.status !== 'running') throw new StorageError(`This run was ${run.status}; resume it from Saved runs to score more items.`, 'invalid-state', id);
    return run;
  }

  /** Save one scored batch now (call it from the runner's 'batch' event and await it). */
  async appendBatch(id: string, modelId: string, items: ItemRecord[]): Promise<void> {
    if (items.length === 0) return;
    await this.guard('saving scored items', id, async () => {
      const tx = this.db.transaction(['runs', 'batches'], 'readwrite');
      const run = this.running(await tx.objectStore('runs').get(id), id);
      if (!run.spec.models.some((m) => m.id === modelId)) throw new StorageError(`Model ${modelId} is not part of this run.`, 'invalid-input', id);
      const batch: BatchRecord = { v: RECORD_VERSION, runId: id, modelId, items, bytes: 0 };
      batch.bytes = jsonBytes(batch);
      await tx.objectStore('batches').add(batch);
      await tx.objectStore('runs').put({ ...run, updatedAt: this.now().toISOString() });
      await tx.done;
    });
    this.active.add(id);
  }

  /**
   * Save items in one transaction whose requests are all issued in this task and committed
   * explicitly: no round trip to the page, so a page that is closing (and gets no more round
   * trips) still saves them, and a write in progress never holds the batch store across a
   * page close. It does not read the run record (the caller knows the run is being written);
   * items saved twice are harmless (a later copy of an item replaces the earlier one).
   */
  appendBatchNow(id: string, modelId: string, items: ItemRecord[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return this.guard('saving scored items', id, async () => {
      const tx = this.db.transaction('batches', 'readwrite');
      const batch: BatchRecord = { v: RECORD_VERSION, runId: id, modelId, items, bytes: 0 };
      batch.bytes = jsonBytes(batch);
      void tx.store.add(batch);
      tx.commit();
      await tx.done;
    });
  }

  /** Save a finished (or failed, or cancelled) model; its saved batches are folded into it. */
  async finishModel(id: string, model: ModelRun): Promise<void> {
    await this.guard('saving a finished model', id, async () => {
      const tx = this.db.transaction(['runs', 'models', 'batches'], 'readwrite');
      const run = this.running(await tx.objectStore('runs').get(id), id);
      const slot = slotOf(run.spec, model);
      if (slot < 0) throw new StorageError(`Model ${model.id} is not part of this run.`, 'invalid-input', id);
      await deleteBatches(tx, id, model.id);
      const models = tx.objectStore('models');
      const previous = await models.get([id, slot]);
      const record: ModelRecord = { v: RECORD_VERSION, runId: id, slot, model, bytes: 0 };
      record.bytes = jsonBytes(record);
      await models.put(record);
      // Counted, not re-read: reading every model record back would load all their items.
      const modelsDone = run.modelsDone - (previous?.model.status === 'done' ? 1 : 0) + (model.status === 'done' ? 1 : 0);
      const bytes = Math.max(0, run.bytes - (previous?.bytes ?? 0) + record.bytes);
      await tx.objectStore('runs').put({ ...run, modelsDone, bytes, updatedAt: this.now().toISOString() });
      await tx.done;
    });
    this.active.add(id);
  }

  /**
   * Save the final result: every model, emergence scores, finish time. 'cancelled' keeps what
   * was scored (the stopped model's items included) and can be resumed. Resolves once the
   * transaction is complete: only then may the page say the run is done.
   */
  async finishRun(id: string, result: RunResult, status: 'done' | 'cancelled' = 'done'): Promise<void> {
    const valid = validResult(result, id);
    await this.guard('saving the finished run', id, async () => {
      const tx = this.db.transaction(['runs', 'models', 'batches'], 'readwrite');
      const run = this.running(await tx.objectStore('runs').get(id), id);
      await writeResult(tx, run, valid, this.now().toISOString(), status);
      await tx.done;
    });
    this.active.delete(id);
  }

  /** A run that stopped on an error: its saved models and batches stay, to resume or delete. */
  async failRun(id: string, message: string): Promise<void> {
    await this.guard('saving the failed run', id, async () => {
      const tx = this.db.transaction('runs', 'readwrite');
      const run = this.running(await tx.store.get(id), id);
      await tx.store.put({ ...run, status: 'failed', error: message.slice(0, 4000), updatedAt: this.now().toISOString() });
      await tx.done;
    });
    this.active.delete(id);
  }

  /** Resume a cancelled, failed or interrupted run: it is 'running' (written by this page) again. */
  async reopenRun(id: string): Promise<void> {
    await this.guard('resuming the run', id, async () => {
      const tx = this.db.transaction('runs', 'readwrite');
      const raw = await tx.store.get(id);
      if (raw === undefined) throw this.notFound(id);
      const run = checkRun(raw, id);
      if (run.status === 'done') throw new StorageError('This run is finished; there is nothing to resume.', 'invalid-state', id);
      await tx.store.put({ ...run, status: 'running', error: null, updatedAt: this.now().toISOString() });
      await tx.done;
    });
    this.active.add(id);
  }

  /** Save an imported run (already parsed with parseRunFile) as a new finished run; returns its id. */
  async importRun(result: RunResult, name?: string): Promise<string> {
    const valid = validResult(result, null);
    const id = this.newId();
    const at = this.now().toISOString();
    const run: RunRecord = {
      v: RECORD_VERSION,
      id,
      name: (name?.trim() || `Imported: ${defaultName(valid.spec)}`).slice(0, MAX_NAME_LENGTH),
      createdAt: at,
      updatedAt: at,
      status: 'running',
      source: 'import',
      spec: valid.spec,
      env: valid.env,
      emergence: null,
      modelsDone: 0,
      modelsTotal: valid.spec.models.length,
      bytes: 0,
      ...(valid.task_data ? { task_data: valid.task_data } : {}),
    };
    await this.guard('importing the run', id, async () => {
      const tx = this.db.transaction(['runs', 'models', 'batches'], 'readwrite');
      await writeResult(tx, run, valid, at);
      await tx.done;
    });
    return id;
  }

  /** Newest first; unreadable records are reported in `corrupt`, never thrown. */
  async listRuns(): Promise<RunList> {
    const { keys, values } = await this.guard('listing saved runs', null, async () => {
      const tx = this.db.transaction('runs');
      const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll()]);
      await tx.done;
      return { keys, values: values as unknown[] };
    });
    const runs: RunSummary[] = [];
    const corrupt: StorageError[] = [];
    values.forEach((raw, i) => {
      try {
        const r = checkRun(raw, rawRunId(raw, keys[i]));
        const status = historyStatus(r.status, this.active.has(r.id));
        const { id, name, createdAt, updatedAt, source, modelsDone, modelsTotal, bytes } = r;
        runs.push({ id, name, createdAt, updatedAt, status, source, modelsDone, modelsTotal, bytes, error: r.error ?? null });
      } catch (e) {
        corrupt.push(e instanceof StorageError ? e : toStorageError(e, 'reading a saved run', String(keys[i])));
      }
    });
    runs.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
    return { runs, corrupt };
  }

  private async readAll(id: string): Promise<{ run: RunRecord; models: ModelRecord[]; batches: BatchRecord[] }> {
    const raw = await this.guard('reading the saved run', id, async () => {
      const tx = this.db.transaction(['runs', 'models', 'batches']);
      const [run, models, batches] = await Promise.all([
        tx.objectStore('runs').get(id),
        tx.objectStore('models').index('byRun').getAll(id),
        tx.objectStore('batches').index('byRun').getAll(id),
      ]);
      await tx.done;
      return { run, models, batches };
    });
    if (raw.run === undefined) throw this.notFound(id);
    return { run: checkRun(raw.run, id), models: raw.models.map((m) => checkModel(m, id)), batches: raw.batches.map((b) => checkBatch(b, id)) };
  }

  /** The saved run as a RunResult; unfinished models appear as 'cancelled' with their saved items. */
  async getRun(id: string): Promise<RunResult> {
    const { run, models, batches } = await this.readAll(id);
    return assembleRun(run, models, batches);
  }

  /** What runExperiment needs to continue an interrupted run (RunOptions.completed / partialItems). */
  async getResumeState(id: string): Promise<ResumeState> {
    const { models, batches } = await this.readAll(id);
    return resumeState(models, batches);
  }

  async renameRun(id: string, name: string): Promise<void> {
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > MAX_NAME_LENGTH) {
      throw new StorageError(`A run name needs 1 to ${MAX_NAME_LENGTH} characters.`, 'invalid-input', id);
    }
    await this.guard('renaming the run', id, async () => {
      const tx = this.db.transaction('runs', 'readwrite');
      const raw = await tx.store.get(id);
      if (raw === undefined) throw this.notFound(id);
      const run = checkRun(raw, id);
      await tx.store.put({ ...run, name: trimmed, updatedAt: this.now().toISOString() });
      await tx.done;
    });
  }

  /** Delete a run and everything saved for it; works on damaged records too. Missing ids are fine. */
  async deleteRun(id: string): Promise<void> {
    await this.guard('deleting the run', id, async () => {
      const tx = this.db.transaction(['runs', 'models', 'batches'], 'readwrite');
      await tx.objectStore('runs').delete(id);
      for (const key of await tx.objectStore('models').index('byRun').getAllKeys(id)) await tx.objectStore('models').delete(key);
      for (const key of await tx.objectStore('batches').index('byRun').getAllKeys(id)) await tx.objectStore('batches').delete(key);
      await tx.done;
    });
    this.active.delete(id);
  }

  async storageUsed(): Promise<StorageUsage> {
    const { runs } = await this.listRuns();
    const runsBytes = runs.reduce((s, r) => s + r.bytes, 0);
    const storage = typeof navigator === 'undefined' ? undefined : navigator.storage;
    if (!storage?.estimate) return { runsBytes, usage: null, quota: null };
    try {
      const e = await storage.estimate();
      return { runsBytes, usage: e.usage ?? null, quota: e.quota ?? null };
    } catch {
      return { runsBytes, usage: null, quota: null };
    }
  }
}
