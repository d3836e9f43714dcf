/**
 * RunRecorder: writes one run into the RunStore as it progresses, with bounded lag.
 *
 * - Scored batches are buffered and written by one transaction at a time; batches that arrive
 *   while a write is in flight go together into the next one, so saving keeps up with scoring
 *   on small models and never trails by more than what was scored during one write. Each
 *   write is issued and committed in one task (RunStore.appendBatchNow): no round trips.
 * - `modelDone`, `finish` and `fail` first write what is buffered, then the record, and resolve
 *   only when that IndexedDB transaction is complete: the page shows a model (or the run) as
 *   done only after that (src/ui/lab.svelte.ts awaits these promises).
 * - `flushNow` (page hidden or closing) writes everything received and not yet committed (the
 *   buffer and the write in flight) in one transaction issued and committed within the same
 *   task: a closing page gets no more round trips, so the normal write may never finish.
 * A failed write is reported (onError) and never stops the run: it keeps running, unsaved.
 */
import type { ItemRecord, ModelRun, RunEnvironment, RunResult } from '../results/types.ts';
import type { ImportedTaskData } from '../tasks/imported/data.ts';
import type { ExperimentSpec } from '../spec/schema.ts';
import type { RunStore } from './run-store.ts';

export interface RecorderProgress {
  /** Models whose record is committed. */
  models: number;
  /** Committed items of the model in flight (0 between models). */
  items: number;
  /** Items scored but not yet committed, now. */
  unsaved: number;
  /** The most items that were ever scored but not committed at once (the write lag, in items). */
  maxUnsaved: number;
}

export interface RecorderOptions {
  onProgress?: (p: RecorderProgress) => void;
  onError?: (err: unknown) => void;
  /** The record's id, once created (the page holds a Web Lock named after it). */
  onRecordId?: (id: string) => void;
}

type Creation =
  | { kind: 'new'; spec: ExperimentSpec; env: Omit<RunEnvironment, 'finishedAt'>; taskData?: ImportedTaskData | null }
  | { kind: 'resume'; id: string; modelsDone: number };

export class RunRecorder {
  private id: string | null = null;
  private chain: Promise<void>;
  private unsaved: { modelId: string; items: ItemRecord[] }[] = [];
  /** Items of the write in progress, until it commits. */
  private inFlight: { modelId: string; items: ItemRecord[] }[] = [];
  private writeQueued = false;
  private progress: RecorderProgress = { models: 0, items: 0, unsaved: 0, maxUnsaved: 0 };
  private savingModel: string | null = null;
  /** After finish/fail nothing more is written. */
  private closed = false;

  constructor(
    private readonly store: RunStore,
    creation: Creation,
    private readonly opts: RecorderOptions = {},
  ) {
    this.chain = this.step(async () => {
      if (creation.kind === 'new') {
        this.id = await store.createRun(creation.spec, creation.env, undefined, creation.taskData);
      } else {
        await store.reopenRun(creation.id);
        this.id = creation.id;
        this.progress = { ...this.progress, models: creation.modelsDone };
      }
      opts.onRecordId?.(this.id);
    });
  }

  get recordId(): string | null {
    return this.id;
  }

  get saved(): RecorderProgress {
    return this.progress;
  }

  private step(what: () => Promise<void>): Promise<void> {
    const run = async () => {
      try {
        await what();
      } catch (err) {
        this.opts.onError?.(err);
      }
    };
    this.chain = (this.chain ?? Promise.resolve()).then(run);
    return this.chain;
  }

  private report(patch: Partial<RecorderProgress>): void {
    const unsaved = this.unsaved.reduce((s, b) => s + b.items.length, 0) + (patch.unsaved ?? 0);
    const next = { ...this.progress, ...patch, unsaved };
    next.maxUnsaved = Math.max(next.maxUnsaved, unsaved);
    this.progress = next;
    this.opts.onProgress?.(next);
  }

  /** A scored batch: buffered now, written by the next write (started at once if none is queued). */
  batch(modelId: string, items: ItemRecord[]): void {
    if (this.closed || items.length === 0) return;
    this.unsaved.push({ modelId, items });
    this.report({});
    if (this.writeQueued) return;
    this.writeQueued = true;
    void this.step(async () => {
      this.writeQueued = false;
      await this.writeUnsaved();
    });
  }

  private async writeUnsaved(): Promise<void> {
    const pending = this.unsaved;
    this.unsaved = [];
    const id = this.id;
    if (!id || pending.length === 0) return;
    const count = pending.reduce((s, b) => s + b.items.length, 0);
    this.inFlight = pending;
    this.report({ unsaved: count });
    let left = count;
    try {
      for (const [modelId, items] of groupByModel(pending)) {
        await this.store.appendBatchNow(id, modelId, items);
        left -= items.length;
        const same = modelId === this.savingModel;
        this.savingModel = modelId;
        this.report({ items: same ? this.progress.items + items.length : items.length, unsaved: left });
      }
    } finally {
      this.inFlight = [];
    }
  }

  /** Page hidden or closing: everything received and not committed, in one transaction, now. */
  flushNow(): void {
    const id = this.id;
    const pending = [...this.inFlight, ...this.unsaved];
    if (this.closed || !id || pending.length === 0) return;
    // The buffer is taken (the queued write finds it empty); the write in flight may still
    // commit too, and then its items are simply saved twice.
    this.unsaved = [];
    for (const [modelId, items] of groupByModel(pending)) {
      this.store.appendBatchNow(id, modelId, items).catch((err: unknown) => this.opts.onError?.(err));
    }
    this.report({});
  }

  /** Write the buffer and the finished model; resolves when both are committed. */
  modelDone(model: ModelRun): Promise<void> {
    if (this.closed) return this.chain;
    return this.step(async () => {
      await this.writeUnsaved();
      if (!this.id) return;
      await this.store.finishModel(this.id, model);
      this.report({ models: this.progress.models + (model.status === 'done' ? 1 : 0), items: 0 });
    });
  }

  /** The final record ('done', or 'cancelled' with what was kept); resolves when committed. */
  finish(result: RunResult, status: 'done' | 'cancelled'): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    return this.step(async () => {
      // The result carries every scored item: the buffer is superseded, not written.
      this.unsaved = [];
      if (!this.id) return;
      await this.store.finishRun(this.id, result, status);
      this.report({ models: result.models.filter((m) => m.status === 'done').length, items: 0, unsaved: 0 });
    });
  }

  /** The run failed: keep what was scored (written first), mark the record 'failed'. */
  fail(message: string): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    return this.step(async () => {
      await this.writeUnsaved();
      if (this.id) await this.store.failRun(this.id, message);
    });
  }

  /** Every write so far, committed (or reported as failed). */
  flushed(): Promise<void> {
    return this.chain;
  }
}

function groupByModel(batches: readonly { modelId: string; items: ItemRecord[] }[]): Map<string, ItemRecord[]> {
  const byModel = new Map<string, ItemRecord[]>();
  for (const b of batches) byModel.set(b.modelId, [...(byModel.get(b.modelId) ?? []), ...b.items]);
  return byModel;
}
