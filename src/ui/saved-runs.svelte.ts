/**
 * Saved runs: records every run of the lab into IndexedDB as it progresses (one write per
 * scored batch, one per finished model, one at the end), lists them for the history panel,
 * offers to resume runs a closed page left unfinished, and imports run files. Storage failures
 * (private mode, quota) are shown and never stop a run.
 */
import { parseRunFile, RunFileError } from '../lib/share/index.ts';
import type { RunResult } from '../lib/run/results.ts';
import { RunStore, StorageError, type RunSummary, type StorageUsage } from '../lib/storage/index.ts';
import type { Lab, RunListener } from './lab.svelte.ts';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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

  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly lab: Lab) {}

  get interrupted(): RunSummary[] {
    return this.runs.filter((r) => r.status === 'interrupted' && r.source === 'run' && !this.dismissed.includes(r.id));
  }

  async open(): Promise<void> {
    try {
      this.store = await RunStore.open();
    } catch (err) {
      this.unavailable = `Saved runs are unavailable in this browser (${message(err)}). Runs still work, but are not kept.`;
      return;
    }
    this.lab.addRunListener(this.recorder());
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const store = this.store;
    if (!store) return;
    try {
      const [list, usage] = await Promise.all([store.listRuns(), store.storageUsed()]);
      this.runs = list.runs;
      this.corrupt = list.corrupt;
      this.usage = usage;
    } catch (err) {
      this.actionError = message(err);
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
        this.saveError = `This run is not being saved: ${message(err)}`;
      }
    });
    return this.chain;
  }

  private recorder(): RunListener {
    return {
      started: (spec, env, options) => {
        this.saveError = null;
        const resumed = options.resume?.savedId ?? null;
        this.recordingId = resumed;
        void this.enqueue(async (store) => {
          if (resumed === null) this.recordingId = await store.createRun(spec, { ...env, transformersVersion: '' });
        }).then(() => this.refresh());
      },
      event: (e) => {
        if (e.type === 'batch') {
          void this.enqueue(async (store) => {
            if (this.recordingId) await store.appendBatch(this.recordingId, e.modelId, e.items);
          });
        } else if (e.type === 'model-done') {
          void this.enqueue(async (store) => {
            if (this.recordingId) await store.finishModel(this.recordingId, e.model);
          }).then(() => this.refresh());
        }
      },
      finished: (result) => {
        void this.enqueue(async (store) => {
          if (this.recordingId) await store.finishRun(this.recordingId, result);
          this.recordingId = null;
        }).then(() => this.refresh());
      },
      failed: () => {
        // What was saved stays; the run shows as interrupted and can be resumed.
        this.recordingId = null;
        void this.chain.then(() => this.refresh());
      },
    };
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
      this.actionError = message(err);
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
      await this.lab.run({ spec: saved.spec, resume: { savedId: summary.id, state } });
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
      const why = err instanceof RunFileError ? err.message : `unexpected error (${message(err)})`;
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
