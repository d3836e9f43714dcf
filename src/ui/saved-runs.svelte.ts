/**
 * Saved runs: records every run of the lab into IndexedDB as it progresses (a RunRecorder per
 * run: batches with bounded lag, each finished model, the final record), lists them for the
 * history panel, offers to resume runs that were cancelled, failed or left unfinished by a
 * closed page, and imports run files. The page shows a model or the run as done only once its
 * record is committed (the listener's promises, see RunListener). Storage failures (private
 * mode, quota) are shown and never stop a run.
 */
import { parseRunFile, RunFileError } from '../lib/share/index.ts';
import type { RunResult } from '../lib/results/types.ts';
import { isResumable } from '../lib/run/lifecycle.ts';
import { RunRecorder, type RecorderProgress } from '../lib/storage/recorder.ts';
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
   * What the run being recorded has committed: finished models, items of the model in flight,
   * and how many scored items are not committed yet (all a closed page can lose).
   */
  saved = $state.raw<RecorderProgress>({ models: 0, items: 0, unsaved: 0, maxUnsaved: 0 });

  private recorder: RunRecorder | null = null;
  private releaseLock: () => void = () => undefined;

  constructor(private readonly lab: Lab) {}

  get interrupted(): RunSummary[] {
    return this.runs.filter((r) => r.status === 'interrupted' && r.source === 'run' && !this.dismissed.includes(r.id));
  }

  /** A run of the history the visitor can continue (cancelled, failed, interrupted; not the one being written). */
  canResume(r: RunSummary): boolean {
    return r.source === 'run' && isResumable(r.status) && r.id !== this.recordingId;
  }

  async open(): Promise<void> {
    try {
      this.store = await RunStore.open();
    } catch (err) {
      this.unavailable = `Saved runs are unavailable in this browser (${errorText(err)}). Runs still work, but are not kept.`;
      return;
    }
    this.lab.addRunListener(this.listener());
    // Hidden or closing: write what is buffered now, before the page is frozen or gone.
    const flush = () => this.recorder?.flushNow();
    document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && flush());
    window.addEventListener('pagehide', flush);
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

  private listener(): RunListener {
    return {
      started: (spec, env, options) => {
        const store = this.store;
        if (!store) return;
        this.saveError = null;
        const resumed = options.resume?.savedId ?? null;
        const modelsDone = options.resume?.state.completed.length ?? 0;
        this.saved = { models: modelsDone, items: 0, unsaved: 0, maxUnsaved: 0 };
        const recorder: RunRecorder = new RunRecorder(store, resumed === null ? { kind: 'new', spec, env: { ...env, transformersVersion: '' }, taskData: options.taskData ?? null } : { kind: 'resume', id: resumed, modelsDone }, {
          onProgress: (p) => {
            if (this.recorder === recorder) this.saved = p;
          },
          onError: (err) => (this.saveError = `This run is not being saved: ${errorText(err)}`),
          onRecordId: (id) => {
            this.recordingId = id;
            this.releaseLock = holdRunLock(id);
          },
        });
        this.recorder = recorder;
        // The run starts once its record exists (and is listed as running).
        return recorder.flushed().then(() => this.refresh());
      },
      event: (e) => {
        const recorder = this.recorder;
        if (!recorder) return;
        if (e.type === 'batch') recorder.batch(e.modelId, e.items);
        else if (e.type === 'model-done') {
          return recorder.modelDone(e.model).then(() => void this.refresh());
        }
      },
      finishing: (result, outcome) => {
        const recorder = this.recorder;
        if (!recorder) return;
        return recorder.finish(result, outcome).then(() => this.endRecording(recorder));
      },
      failed: (message) => {
        const recorder = this.recorder;
        if (!recorder) return;
        // What was saved stays; the run is listed as failed and can be resumed or deleted.
        return recorder.fail(message).then(() => this.endRecording(recorder));
      },
    };
  }

  private async endRecording(recorder: RunRecorder): Promise<void> {
    if (this.recorder === recorder) {
      this.recorder = null;
      this.recordingId = null;
    }
    this.releaseLock();
    await this.refresh();
  }

  /** Wait for every pending write of the run being recorded. */
  flush(): Promise<void> {
    return this.recorder?.flushed() ?? Promise.resolve();
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

  /** Continue a cancelled, failed or interrupted run from what it saved, into the same record. */
  resume(summary: RunSummary): Promise<void> {
    return this.act(async (store) => {
      if (this.lab.busy) throw new Error('A run is in progress: cancel it or wait for it before resuming another.');
      if (!this.canResume(summary)) throw new Error('This run cannot be resumed.');
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
   * Import a run file (the lab's JSON export): validated first, then shown and saved (after the
   * visitor's answer when a run is in progress). A bad file changes nothing and says what is wrong.
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
    let save: Promise<void> = Promise.resolve();
    const shown = this.lab.showResult(result, { kind: 'file', name: file.name }, () => {
      this.lab.notice = null;
      save = this.act(async (store) => {
        await store.importRun(result, `Imported: ${file.name}`);
      });
    });
    await save;
    return shown;
  }
}
