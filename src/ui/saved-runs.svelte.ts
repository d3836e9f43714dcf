/**
 * Saved runs: records every run of the lab into IndexedDB as it progresses (one write per
 * scored batch, one per finished model, one at the end), lists them for the history panel,
 * offers to resume runs a closed page left unfinished, and imports run files. Storage failures
 * (private mode, quota) are shown and never stop a run.
 */
import { parseRunFile, RunFileError } from '../lib/share/index.ts';
import type { ItemRecord, RunResult } from '../lib/results/types.ts';
import { RunStore, StorageError, type RunSummary, type StorageUsage } from '../lib/storage/index.ts';
import type { Lab, RunListener } from './lab.svelte.ts';
import { errorText } from './error-text.ts';


/**
 * A tab recording a run holds a Web Lock named after it, so other tabs of the lab see the run as
 * running (not interrupted) and do not offer to resume it into the same record.
 */
const LOCK_PREFIX = 'emergence-lab-run:';

function holdRunLock(id: string): () => void {
  let release: () => void = () => undefined;
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return release;
  const held = new Promise<void>((resolve) => (release = resolve));
  locks.request(LOCK_PREFIX + id, () => held).catch(() => undefined);
  return () => release();
}

async function runsLockedElsewhere(): Promise<Set<string>> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return new Set();
  try {
    const { held = [] } = await locks.query();
    return new Set(held.map((l) => l.name ?? '').filter((n) => n.startsWith(LOCK_PREFIX)).map((n) => n.slice(LOCK_PREFIX.length)));
  } catch {
    return new Set();
  }
}

export class SavedRuns {
  /** null until opened, or when IndexedDB is unavailable (then `unavailable` says why). */
  private store: RunStore | null = null;
  unavailable = $state<string | null>(null);
  runs = $state.raw<RunSummary[]>([]);
  /** Records that could not be read: listed so they can be deleted. */
  corrupt = $state.raw<StorageError[]>([]);
  usage = $state.raw<StorageUsage | null>(null);
  /** The last saving problem of the run in progress (it keeps running unsaved). */
  saveError = $state<string | null>(null);
  /** Problem of the last history action (open, rename, delete, import). */
  actionError = $state<string | null>(null);
  /** Id of the record the current run is written to. */
  recordingId = $state<string | null>(null);
  /** Interrupted runs the visitor has not dismissed this visit. */
  dismissed = $state.raw<string[]>([]);

  /**
   * What the run being recorded has saved: finished models, and items of the model in flight.
   * Closing the page loses only items scored after these.
   */
  saved = $state.raw<{ models: number; items: number }>({ models: 0, items: 0 });

  private chain: Promise<void> = Promise.resolve();
  private unsaved: { modelId: string; items: ItemRecord[] }[] = [];
  private savingModel: string | null = null;
  private releaseLock: () => void = () => undefined;

  constructor(private readonly lab: Lab) {}

  get interrupted(): RunSummary[] {
    return this.runs.filter((r) => r.status === 'interrupted' && r.source === 'run' && !this.dismissed.includes(r.id));
  }

  async open(): Promise<void> {
    try {
      this.store = await RunStore.open();
    } catch (err) {
      this.unavailable = `Saved runs are unavailable in this browser (${errorText(err)}). Runs still work, but are not kept.`;
      return;
    }
    this.lab.addRunListener(this.recorder());
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const store = this.store;
    if (!store) return;
    try {
      const [list, usage, elsewhere] = await Promise.all([store.listRuns(), store.storageUsed(), runsLockedElsewhere()]);
      // A run another tab is recording is running there, not interrupted.
      this.runs = list.runs.map((r) => (r.status === 'interrupted' && elsewhere.has(r.id) ? { ...r, status: 'running' as const } : r));
      this.corrupt = list.corrupt;
      this.usage = usage;
    } catch (err) {
      this.actionError = errorText(err);
    }
  }

  /** Store writes run one after another, in event order; a failure is reported, not thrown. */
  private enqueue(what: (store: RunStore) => Promise<void>): Promise<void> {
    const store = this.store;
    if (!store) return this.chain;
    this.chain = this.chain.then(async () => {
      try {
        await what(store);
      } catch (err) {
        this.saveError = `This run is not being saved: ${errorText(err)}`;
      }
    });
    return this.chain;
  }

  private recorder(): RunListener {
    return {
      started: (spec, env, options) => {
        this.saveError = null;
        this.unsaved = [];
        this.savingModel = null;
        this.saved = { models: options.resume?.state.completed.length ?? 0, items: 0 };
        const resumed = options.resume?.savedId ?? null;
        this.recordingId = resumed;
        if (resumed !== null) this.releaseLock = holdRunLock(resumed);
        void this.enqueue(async (store) => {
          if (resumed === null) {
            this.recordingId = await store.createRun(spec, { ...env, transformersVersion: '' }, undefined, options.taskData);
            this.releaseLock = holdRunLock(this.recordingId);
          }
        }).then(() => this.refresh());
      },
      event: (e) => {
        if (e.type === 'batch') {
          // Batches that arrive while a write is in flight are written together by the next one:
          // one transaction per write keeps saving as fast as scoring on small models.
          const waiting = this.unsaved.length > 0;
          this.unsaved.push({ modelId: e.modelId, items: e.items });
          if (!waiting) void this.enqueue((store) => this.writeUnsaved(store));
        } else if (e.type === 'model-done') {
          void this.enqueue(async (store) => {
            await this.writeUnsaved(store);
            if (this.recordingId) await store.finishModel(this.recordingId, e.model);
            this.saved = { models: this.saved.models + 1, items: this.savingModel === e.model.id ? 0 : this.saved.items };
          }).then(() => this.refresh());
        }
      },
      finished: (result) => {
        void this.enqueue(async (store) => {
          this.unsaved = [];
          if (this.recordingId) await store.finishRun(this.recordingId, result);
          this.recordingId = null;
          this.releaseLock();
        }).then(() => this.refresh());
      },
      failed: () => {
        // What was saved stays; the run shows as interrupted and can be resumed.
        void this.chain.then(() => {
          this.recordingId = null;
          this.releaseLock();
          return this.refresh();
        });
      },
    };
  }

  private async writeUnsaved(store: RunStore): Promise<void> {
    const pending = this.unsaved;
    this.unsaved = [];
    const id = this.recordingId;
    if (!id || pending.length === 0) return;
    const byModel = new Map<string, ItemRecord[]>();
    for (const b of pending) byModel.set(b.modelId, [...(byModel.get(b.modelId) ?? []), ...b.items]);
    for (const [modelId, items] of byModel) {
      await store.appendBatch(id, modelId, items);
      // Items of the model in flight; a write may already carry the next model's first items.
      const same = modelId === this.savingModel;
      this.savingModel = modelId;
      this.saved = { ...this.saved, items: same ? this.saved.items + items.length : items.length };
    }
  }

  /** Wait for every pending write (tests, and before opening a run that is being written). */
  flush(): Promise<void> {
    return this.chain;
  }

  private async act(what: (store: RunStore) => Promise<void>): Promise<void> {
    const store = this.store;
    if (!store) return;
    this.actionError = null;
    try {
      await what(store);
    } catch (err) {
      this.actionError = errorText(err);
    }
    await this.refresh();
  }

  openRun(summary: RunSummary): Promise<void> {
    return this.act(async (store) => {
      const result = await store.getRun(summary.id);
      this.lab.showResult(result, { kind: 'saved', id: summary.id, name: summary.name });
    });
  }

  resume(summary: RunSummary): Promise<void> {
    return this.act(async (store) => {
      if (this.lab.busy) throw new Error('A run is in progress: cancel it or wait for it before resuming another.');
      const [saved, state] = await Promise.all([store.getRun(summary.id), store.getResumeState(summary.id)]);
      await this.lab.run({ spec: saved.spec, resume: { savedId: summary.id, state }, taskData: saved.task_data ?? null });
    });
  }

  dismiss(summary: RunSummary): void {
    this.dismissed = [...this.dismissed, summary.id];
  }

  rename(id: string, name: string): Promise<void> {
    return this.act((store) => store.renameRun(id, name));
  }

  remove(id: string): Promise<void> {
    if (id === this.recordingId) {
      this.actionError = 'This run is being recorded; cancel it before deleting it.';
      return Promise.resolve();
    }
    return this.act((store) => store.deleteRun(id));
  }

  /**
   * Import a run file (the lab's JSON export): validated first, then saved and shown. A bad
   * file changes nothing and says what is wrong.
   */
  async importFile(file: File): Promise<boolean> {
    this.actionError = null;
    let result: RunResult;
    try {
      result = parseRunFile(await file.text());
    } catch (err) {
      const why = err instanceof RunFileError ? err.message : `unexpected error (${errorText(err)})`;
      this.lab.notice = { tone: 'error', text: `“${file.name}” cannot be imported: ${why} Your saved runs are untouched.` };
      return false;
    }
    if (!this.lab.showResult(result, { kind: 'file', name: file.name })) return false;
    this.lab.notice = null;
    await this.act(async (store) => {
      await store.importRun(result, `Imported: ${file.name}`);
    });
    return true;
  }
}
