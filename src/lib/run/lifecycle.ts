/**
 * The one run lifecycle the page, the store and the history agree on (issue 19):
 *
 *   idle ─prepare─► preparing ─start─► running ─result─► finishing ─committed─► done | cancelled
 *                      │  └declined─► idle        │ └cancel (flag; stops at the next batch)
 *                      └fail────────────────────► failed ◄─fail── running | finishing
 *   running | finishing ─interrupt─► interrupted   (the page went away; only the store sees it)
 *
 * Pure: no DOM, no storage. The page derives its status line, the rung panel and the saved
 * record's status from this state; every transition that changes a saved record is written to
 * the store before the page applies it (see src/ui/lab.svelte.ts), so what the history lists
 * never runs ahead of what is on disk. A terminal state starts a new run with `prepare`.
 */

export type RunPhase = 'idle' | 'preparing' | 'running' | 'finishing' | 'done' | 'cancelled' | 'failed' | 'interrupted';

export interface RunLifecycle {
  readonly phase: RunPhase;
  /** Cancel was asked: the run stops at the next batch boundary and ends 'cancelled'. */
  readonly cancelRequested: boolean;
  /** While finishing: what the run ends as once its final record is committed. */
  readonly outcome: 'done' | 'cancelled' | null;
  /** Why a run failed (shown as is). */
  readonly error: string | null;
}

export type LifecycleEvent =
  | { type: 'prepare' }
  /** Nothing to run after all (the visitor declined a download, or no model can run). */
  | { type: 'declined' }
  | { type: 'start' }
  | { type: 'cancel' }
  /** The engine returned its result; `cancelled` when any model stopped because of Cancel. */
  | { type: 'result'; cancelled: boolean }
  /** The final record is committed (IndexedDB transaction complete, or no store to write). */
  | { type: 'committed' }
  | { type: 'fail'; message: string }
  | { type: 'interrupt' };

export class LifecycleError extends Error {
  override name = 'LifecycleError';
  constructor(
    readonly from: RunPhase,
    readonly event: LifecycleEvent['type'],
  ) {
    super(`A run cannot go from "${from}" on "${event}" (this is a bug in the lab; reload the page, your saved runs are kept).`);
  }
}

export const IDLE: RunLifecycle = { phase: 'idle', cancelRequested: false, outcome: null, error: null };

const TERMINAL: readonly RunPhase[] = ['idle', 'done', 'cancelled', 'failed', 'interrupted'];

/** A run is in progress: no other may start, and opening another run asks first. */
export function isActive(state: RunLifecycle): boolean {
  return state.phase === 'preparing' || state.phase === 'running' || state.phase === 'finishing';
}

export function isTerminal(phase: RunPhase): boolean {
  return TERMINAL.includes(phase);
}

/** The next state, or a LifecycleError for a transition the lifecycle does not have. */
export function transition(state: RunLifecycle, event: LifecycleEvent): RunLifecycle {
  const bad = () => new LifecycleError(state.phase, event.type);
  const { phase } = state;
  switch (event.type) {
    case 'prepare':
      if (!isTerminal(phase)) throw bad();
      return { phase: 'preparing', cancelRequested: false, outcome: null, error: null };
    case 'declined':
      if (phase !== 'preparing') throw bad();
      return IDLE;
    case 'start':
      if (phase !== 'preparing') throw bad();
      return { ...state, phase: 'running' };
    case 'cancel':
      // Asking twice, or after the result came back, changes nothing.
      if (phase === 'running') return state.cancelRequested ? state : { ...state, cancelRequested: true };
      if (phase === 'finishing') return state;
      throw bad();
    case 'result':
      if (phase !== 'running') throw bad();
      // What happened decides: a Cancel that came after the last batch left nothing unscored.
      return { ...state, phase: 'finishing', outcome: event.cancelled ? 'cancelled' : 'done' };
    case 'committed':
      if (phase !== 'finishing' || state.outcome === null) throw bad();
      return { ...state, phase: state.outcome };
    case 'fail':
      if (phase !== 'preparing' && phase !== 'running' && phase !== 'finishing') throw bad();
      return { ...state, phase: 'failed', error: event.message };
    case 'interrupt':
      if (phase !== 'running' && phase !== 'finishing') throw bad();
      return { ...state, phase: 'interrupted' };
  }
}

/** Status of a saved run's record while (or after) a run is in this state; null: no record yet. */
export type StoredRunStatus = 'running' | 'done' | 'cancelled' | 'failed';

export function storedStatus(state: RunLifecycle): StoredRunStatus | null {
  switch (state.phase) {
    case 'idle':
    case 'preparing':
      return null;
    case 'running':
    case 'finishing':
    case 'interrupted': // the record still says running: no page is left to write it
      return 'running';
    case 'done':
    case 'cancelled':
    case 'failed':
      return state.phase;
  }
}

/** What the history shows for a record: "running" only while some page is writing it. */
export type HistoryStatus = StoredRunStatus | 'interrupted';

export function historyStatus(stored: StoredRunStatus, beingWritten: boolean): HistoryStatus {
  return stored === 'running' && !beingWritten ? 'interrupted' : stored;
}

/** Runs the visitor can continue from the history (their saved items are kept). */
export function isResumable(status: HistoryStatus): boolean {
  return status === 'cancelled' || status === 'failed' || status === 'interrupted';
}

/** "1 model", "2 models": status lines count models. */
export function countModels(n: number): string {
  return `${n} model${n === 1 ? '' : 's'}`;
}
