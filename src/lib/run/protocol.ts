/** Typed messages between the page and the engine worker (the page never touches the runtime). */
import type { ModelInfo, RawItemResult } from '../engine/types.ts';
import type { DownloadPlan } from '../hub/plan.ts';
import type { HubEvent } from '../hub/session.ts';
import type { ExperimentSpec, ModelRef } from '../spec/schema.ts';
import type { ImportedTaskData } from '../tasks/imported/data.ts';
import type { GenerationItem } from '../tasks/types.ts';
import type { ItemRecord, ModelRun, ModelScale, RunEnvironment, RunResult } from '../results/types.ts';
import type { RunEvent } from './runner.ts';

export interface WorkerRunConfig {
  /** Absolute URL of the folder holding bundled ladders ("<base>/models/"). */
  modelBaseUrl: string;
  /** Absolute URLs of ONNX Runtime's WASM files served by the app. */
  wasmPaths: { mjs: string; wasm: string };
  /** Hub-compatible model host set at build time, or null (bundled models only). */
  remoteHost: string | null;
  /** Parameter counts of the spec's models, from the catalog (the worker has no catalog). */
  params: Record<string, number | null>;
  /** Bundled models' positions on their ladder (catalog ladderPositionOf); absent: none recorded. */
  scales?: Record<string, ModelScale>;
  maxBatchSize?: number;
  /** Largest logits tensor the engine may hold at once, in bytes (the page's memory setting). */
  logitsBudgetBytes?: number;
  /** The examples of an imported task (checked against the spec's hash by the page). */
  taskData?: ImportedTaskData | null;
  /**
   * Hub models: the page's build-time model host and the download plan the visitor agreed to.
   * The worker grants exactly this plan to its hub session. Absent or null: bundled models only.
   */
  hub?: { host: string; plan: DownloadPlan } | null;
}

export type ToWorker =
  | {
      type: 'run';
      runId: string;
      spec: ExperimentSpec;
      config: WorkerRunConfig;
      env: Omit<RunEnvironment, 'finishedAt' | 'transformersVersion'>;
      completed?: ModelRun[];
      partialItems?: Record<string, ItemRecord[]>;
    }
  | { type: 'cancel'; runId: string }
  /** Score raw items on one model (the console API and engine tests use this). */
  | { type: 'score'; runId: string; ref: ModelRef; items: GenerationItem[]; config: WorkerRunConfig; options?: { maxBatchSize?: number; shortcut?: boolean; greedyMargin?: number } };

export type FromWorker =
  | { type: 'event'; runId: string; event: RunEvent }
  /** Download progress, retries and failures of Hub model files during a run. */
  | { type: 'hub-event'; runId: string; event: HubEvent }
  | { type: 'done'; runId: string; result: RunResult }
  | { type: 'scored'; runId: string; results: RawItemResult[]; info: ModelInfo }
  | { type: 'error'; runId: string; message: string };
