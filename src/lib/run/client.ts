/**
 * Page side of the worker protocol: start a run, stream its events, cancel it, score items.
 *
 * A worker that fails never hangs the page: its `error` (a crash, e.g. out of memory),
 * `messageerror` (a reply that cannot be read) or silence (no message for longer than the
 * phase allows: a worker that was terminated or is stuck) rejects every pending call with an
 * EngineWorkerError naming the model and the phase, and the next call starts a fresh worker.
 */
import type { ModelInfo, RawItemResult } from '../engine/types.ts';
import type { HubEvent } from '../hub/session.ts';
import type { ExperimentSpec, ModelRef } from '../spec/schema.ts';
import type { GenerationItem } from '../tasks/types.ts';
import type { FromWorker, ToWorker, WorkerRunConfig } from './protocol.ts';
import type { ItemRecord, ModelRun, RunEnvironment, RunResult } from '../results/types.ts';
import type { RunEvent } from './runner.ts';

export interface RunHandle {
  runId: string;
  result: Promise<RunResult>;
  cancel(): void;
}

export interface StartRunOptions {
  spec: ExperimentSpec;
  config: WorkerRunConfig;
  env: Omit<RunEnvironment, 'finishedAt' | 'transformersVersion'>;
  onEvent?: (e: RunEvent) => void;
  /** Download progress, retries and failures of this run's Hub model files. */
  onHubEvent?: (e: HubEvent) => void;
  completed?: ModelRun[];
  partialItems?: Record<string, ItemRecord[]>;
}

export type WorkerFailureKind = 'crashed' | 'unreadable-message' | 'stopped-answering';

/** The engine worker failed while a call was pending. */
export class EngineWorkerError extends Error {
  override name = 'EngineWorkerError';
  constructor(
    readonly kind: WorkerFailureKind,
    /** The model the call was working on, or null before the first model. */
    readonly model: string | null,
    /** What it was doing: 'preparing items', 'loading', 'scoring', 'between models'. */
    readonly phase: string,
    detail: string,
  ) {
    const what = kind === 'crashed' ? 'crashed' : kind === 'unreadable-message' ? 'sent a reply the page could not read' : 'stopped answering';
    super(`The engine worker ${what} while ${phase}${model ? ` ${model}` : ''}${detail ? ` (${detail})` : ''}. Items saved so far are kept; retry on WASM, or resume the run from Saved runs.`);
  }
}

/**
 * How long a pending call may go without any message from the worker. Loading (download,
 * session creation, shader compilation) gets a fixed allowance; while scoring, a silence longer
 * than `scoringFactor` times the longest gap already seen for that model (at least
 * `scoringMinMs`) means the worker is gone or stuck.
 */
export interface StallLimits {
  loadingMs: number;
  scoringMinMs: number;
  scoringFactor: number;
}

export const DEFAULT_STALL_LIMITS: StallLimits = { loadingMs: 10 * 60_000, scoringMinMs: 45_000, scoringFactor: 20 };

interface Pending {
  model: string | null;
  phase: 'preparing items' | 'loading' | 'scoring' | 'between models';
  itemsDone: number | null;
  itemsTotal: number | null;
  lastMessageAt: number;
  /** Longest silence seen while this call was scoring its current model. */
  longestScoringGap: number;
  onMessage(msg: FromWorker): void;
  fail(err: EngineWorkerError): void;
}

export interface EngineClientOptions {
  stall?: Partial<StallLimits>;
  /** Clock for the stall watchdog (tests). */
  now?: () => number;
}

export class EngineClient {
  private worker: Worker | null = null;
  private hubListeners = new Set<(runId: string, e: HubEvent) => void>();
  private pending = new Map<string, Pending>();
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private readonly stall: StallLimits;
  private readonly now: () => number;

  constructor(
    private readonly createWorker: () => Worker,
    options: EngineClientOptions = {},
  ) {
    this.stall = { ...DEFAULT_STALL_LIMITS, ...options.stall };
    this.now = options.now ?? (() => Date.now());
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.createWorker();
    worker.addEventListener('message', (e: MessageEvent<FromWorker>) => {
      if (this.worker !== worker) return;
      this.pending.get(e.data.runId)?.onMessage(e.data);
    });
    worker.addEventListener('error', (e: ErrorEvent) => {
      e.preventDefault();
      if (this.worker === worker) this.failAll('crashed', e.message || 'no details from the browser');
    });
    worker.addEventListener('messageerror', () => {
      if (this.worker === worker) this.failAll('unreadable-message', 'a message could not be deserialized');
    });
    this.worker = worker;
    return worker;
  }

  /** Reject every pending call and drop the worker; the next call starts a fresh one. */
  private failAll(kind: WorkerFailureKind, detail: string): void {
    this.worker?.terminate();
    this.worker = null;
    const calls = [...this.pending.values()];
    this.pending.clear();
    this.stopWatchdog();
    for (const p of calls) {
      const progress = p.phase === 'scoring' && p.itemsTotal !== null ? `${p.itemsDone ?? 0} of ${p.itemsTotal} items done` : '';
      p.fail(new EngineWorkerError(kind, p.model, p.phase, [progress, detail].filter(Boolean).join('; ')));
    }
  }

  private track(runId: string, p: Pending): void {
    this.pending.set(runId, p);
    this.watchdog ??= setInterval(() => this.checkStalls(), 1000);
  }

  private untrack(runId: string): void {
    this.pending.delete(runId);
    if (this.pending.size === 0) this.stopWatchdog();
  }

  private stopWatchdog(): void {
    if (this.watchdog !== null) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  /** The watchdog's check, public for tests with a fake clock. */
  checkStalls(): void {
    const t = this.now();
    for (const p of this.pending.values()) {
      const silent = t - p.lastMessageAt;
      const limit = p.phase === 'scoring' ? Math.max(this.stall.scoringMinMs, this.stall.scoringFactor * p.longestScoringGap) : this.stall.loadingMs;
      if (silent > limit) {
        this.failAll('stopped-answering', `no message for ${Math.round(silent / 1000)} s`);
        return;
      }
    }
  }

  private heard(p: Pending): void {
    const t = this.now();
    if (p.phase === 'scoring') p.longestScoringGap = Math.max(p.longestScoringGap, t - p.lastMessageAt);
    p.lastMessageAt = t;
  }

  start(opts: StartRunOptions): RunHandle {
    const worker = this.ensureWorker();
    const runId = this.nextId();
    const result = new Promise<RunResult>((resolve, reject) => {
      const p: Pending = {
        model: null,
        phase: 'preparing items',
        itemsDone: null,
        itemsTotal: null,
        lastMessageAt: this.now(),
        longestScoringGap: 0,
        onMessage: (msg) => {
          this.heard(p);
          if (msg.type === 'event') {
            followEvent(p, msg.event);
            opts.onEvent?.(msg.event);
          } else if (msg.type === 'hub-event') {
            opts.onHubEvent?.(msg.event);
            for (const l of this.hubListeners) l(runId, msg.event);
          } else {
            this.untrack(runId);
            if (msg.type === 'done') resolve(msg.result);
            else if (msg.type === 'error') reject(new Error(msg.message));
            else reject(new Error(`unexpected reply ${msg.type}`));
          }
        },
        fail: reject,
      };
      this.track(runId, p);
    });
    const msg: ToWorker = { type: 'run', runId, spec: opts.spec, config: opts.config, env: opts.env, completed: opts.completed, partialItems: opts.partialItems };
    worker.postMessage(msg);
    return {
      runId,
      result,
      cancel: () => {
        if (this.pending.has(runId)) this.worker?.postMessage({ type: 'cancel', runId } satisfies ToWorker);
      },
    };
  }

  /** Score items on one model in the worker (console API, engine tests). */
  score(ref: ModelRef, items: GenerationItem[], config: WorkerRunConfig, options?: { maxBatchSize?: number; shortcut?: boolean; greedyMargin?: number }): Promise<{ results: RawItemResult[]; info: ModelInfo }> {
    const worker = this.ensureWorker();
    const runId = this.nextId();
    const result = new Promise<{ results: RawItemResult[]; info: ModelInfo }>((resolve, reject) => {
      const p: Pending = {
        model: ref.id,
        // No events come back from a score call: the whole call is allowed the loading time.
        phase: 'loading',
        itemsDone: null,
        itemsTotal: items.length,
        lastMessageAt: this.now(),
        longestScoringGap: 0,
        onMessage: (msg) => {
          this.heard(p);
          if (msg.type === 'event' || msg.type === 'hub-event') return;
          this.untrack(runId);
          if (msg.type === 'scored') resolve({ results: msg.results, info: msg.info });
          else if (msg.type === 'error') reject(new Error(msg.message));
          else reject(new Error(`unexpected reply ${msg.type}`));
        },
        fail: reject,
      };
      this.track(runId, p);
    });
    worker.postMessage({ type: 'score', runId, ref, items, config, options } satisfies ToWorker);
    return result;
  }

  /** Hub events of every run this client starts (whoever started it); returns a function that stops listening. */
  onHubEvent(listener: (runId: string, e: HubEvent) => void): () => void {
    this.hubListeners.add(listener);
    return () => this.hubListeners.delete(listener);
  }

  private counter = 0;
  private nextId(): string {
    this.counter += 1;
    return `run-${Date.now().toString(36)}-${this.counter}`;
  }

  dispose(): void {
    this.failAll('stopped-answering', 'the page closed the engine');
  }
}

/** Where a run is, from its own events: what a failure message names. */
function followEvent(p: Pending, e: RunEvent): void {
  switch (e.type) {
    case 'items':
      p.phase = 'preparing items';
      break;
    case 'model-start':
      p.model = e.modelId;
      p.phase = 'loading';
      p.itemsDone = null;
      p.itemsTotal = null;
      p.longestScoringGap = 0;
      break;
    case 'load-progress':
      p.phase = 'loading';
      break;
    case 'score-progress':
      p.phase = 'scoring';
      p.itemsDone = e.itemsDone;
      p.itemsTotal = e.itemsTotal;
      break;
    case 'batch':
      p.phase = 'scoring';
      break;
    case 'model-done':
      p.phase = 'between models';
      break;
  }
}
