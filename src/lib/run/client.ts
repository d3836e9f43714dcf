/** Page side of the worker protocol: start a run, stream its events, cancel it. */
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

export class EngineClient {
  private worker: Worker | null = null;
  private hubListeners = new Set<(runId: string, e: HubEvent) => void>();

  constructor(private readonly createWorker: () => Worker) {}

  private ensureWorker(): Worker {
    this.worker ??= this.createWorker();
    return this.worker;
  }

  start(opts: StartRunOptions): RunHandle {
    const worker = this.ensureWorker();
    const runId = this.nextId();
    const result = new Promise<RunResult>((resolve, reject) => {
      const onMessage = (e: MessageEvent<FromWorker>) => {
        const msg = e.data;
        if (msg.runId !== runId) return;
        if (msg.type === 'event') opts.onEvent?.(msg.event);
        else if (msg.type === 'hub-event') {
          opts.onHubEvent?.(msg.event);
          for (const l of this.hubListeners) l(runId, msg.event);
        } else {
          worker.removeEventListener('message', onMessage);
          worker.removeEventListener('error', onError);
          if (msg.type === 'done') resolve(msg.result);
          else if (msg.type === 'error') reject(new Error(msg.message));
          else reject(new Error(`unexpected reply ${msg.type}`));
        }
      };
      const onError = (e: ErrorEvent) => {
        worker.removeEventListener('message', onMessage);
        worker.removeEventListener('error', onError);
        // A crashed worker (e.g. out of memory) is replaced for the next run.
        this.worker?.terminate();
        this.worker = null;
        reject(new Error(`The engine worker crashed: ${e.message || 'unknown error'}`));
      };
      worker.addEventListener('message', onMessage);
      worker.addEventListener('error', onError);
    });
    const msg: ToWorker = { type: 'run', runId, spec: opts.spec, config: opts.config, env: opts.env, completed: opts.completed, partialItems: opts.partialItems };
    worker.postMessage(msg);
    return { runId, result, cancel: () => worker.postMessage({ type: 'cancel', runId } satisfies ToWorker) };
  }

  /** Score items on one model in the worker (console API, engine tests). */
  score(ref: ModelRef, items: GenerationItem[], config: WorkerRunConfig, options?: { maxBatchSize?: number; shortcut?: boolean; greedyMargin?: number }): Promise<{ results: RawItemResult[]; info: ModelInfo }> {
    const worker = this.ensureWorker();
    const runId = this.nextId();
    return new Promise((resolve, reject) => {
      const onMessage = (e: MessageEvent<FromWorker>) => {
        const msg = e.data;
        if (msg.runId !== runId || msg.type === 'event' || msg.type === 'hub-event') return;
        worker.removeEventListener('message', onMessage);
        if (msg.type === 'scored') resolve({ results: msg.results, info: msg.info });
        else if (msg.type === 'error') reject(new Error(msg.message));
        else reject(new Error(`unexpected reply ${msg.type}`));
      };
      worker.addEventListener('message', onMessage);
      worker.postMessage({ type: 'score', runId, ref, items, config, options } satisfies ToWorker);
    });
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
    this.worker?.terminate();
    this.worker = null;
  }
}
