import type { Device, Dtype, ModelRef } from '../spec/schema.ts';
import type { GenerationItem } from '../tasks/types.ts';

/** What the engine measured for one generation item; every metric is a pure function of it. */
export interface RawItemResult {
  itemId: string;
  promptTokenCount: number;
  targetTokenIds: number[];
  targetLogprobs: number[];
  targetIsArgmax: boolean[];
  outputTokenIds: number[];
  outputText: string;
  /** True when greedy decoding actually ran; false when teacher forcing proved its output. */
  generated: boolean;
}

export interface ModelInfo {
  id: string;
  params: number | null;
  dtype: Dtype;
  device: Device;
  vocabSize: number;
  eosTokenIds: number[];
  modelType: string;
}

export interface LoadProgress {
  modelId: string;
  file: string;
  loaded: number;
  total: number;
}

export interface ScoreProgress {
  modelId: string;
  itemsDone: number;
  itemsTotal: number;
  tokensProcessed: number;
  elapsedMs: number;
}

export interface ScoreOptions {
  /** Upper bound on rows per forward pass (the memory budget may lower it). */
  maxBatchSize?: number;
  /** Largest logits tensor (rows x length x vocab x 4 bytes) the engine may hold at once. */
  logitsBudgetBytes?: number;
  /** Greedy generation runs for at most target length + this many tokens. */
  greedyMargin?: number;
  /** Skip generation when teacher forcing proves the greedy output (default true). */
  shortcut?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: ScoreProgress) => void;
  /** Called with each finished batch, in item order within the batch (for saving as we go). */
  onBatch?: (results: RawItemResult[]) => void | Promise<void>;
}

export interface LoadedModel {
  readonly info: ModelInfo;
  score(items: GenerationItem[], options?: ScoreOptions): Promise<RawItemResult[]>;
  dispose(): Promise<void>;
}

export interface LoadOptions {
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
}

/** The one interface the browser worker and Node (tests, CLI, bench) both use. */
export interface Engine {
  load(ref: ModelRef, options?: LoadOptions): Promise<LoadedModel>;
}

export const DEFAULT_GREEDY_MARGIN = 4;
export const DEFAULT_MAX_BATCH = 32;
export const DEFAULT_LOGITS_BUDGET_BYTES = 128 * 1024 * 1024;
