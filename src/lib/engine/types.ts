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
  /**
   * True when scoring reduces the logits on the GPU (WebGPU): only log-probs and argmax ids are
   * read back. Absent or false: logits of scored calls come to the CPU.
   */
  scoresOnDevice?: boolean;
  /**
   * True when the model's graph carries the scoring head (scoring-head.ts): the vocabulary
   * projection runs only at scored positions and the runtime returns log-probs and argmax ids,
   * not logits.
   */
  scoringHead?: boolean;
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
  /**
   * Memory budget per forward call: the planner keeps its logits (with the measured copies) and
   * key/value cache within it, splitting batches and rows down to one row and one column per call,
   * and halves it after an out-of-memory error (batching.ts, memory.ts). Default 128 MiB; the CLI's
   * --memory-budget-mb.
   */
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

/** One multiple-choice (log-likelihood) request: a prompt and the continuations to score after it. */
export interface ChoiceRequest {
  itemId: string;
  prompt: string;
  choices: string[];
  /** Append the model's end token to every choice (models trained with one, like the bundled ladder). */
  endToken?: boolean;
}

/** What the engine measured for one choice item (lm-evaluation-harness `loglikelihood` semantics). */
export interface RawChoiceResult {
  itemId: string;
  promptTokenCount: number;
  /** Per choice: token ids of the continuation (lm-eval split: encode(prompt+choice) whole, continuation = tokens after the prompt's tokens, as encodePair does). */
  choiceTokenIds: number[][];
  /** Per choice: natural-log prob of each continuation token. */
  choiceTokenLogprobs: number[][];
  /** Per choice: summed log-likelihood (lm-eval resps[i][0]). */
  choiceLogprobs: number[];
  /** Per choice: every continuation token is the argmax (lm-eval is_greedy, resps[i][1]). */
  choiceIsGreedy: boolean[];
}

export interface ChoiceScoreOptions extends Omit<ScoreOptions, 'onBatch' | 'greedyMargin' | 'shortcut'> {
  /** Called as items finish (every choice scored), in input order within the call. */
  onBatch?: (results: RawChoiceResult[]) => void | Promise<void>;
}

export interface LoadedModel {
  readonly info: ModelInfo;
  score(items: GenerationItem[], options?: ScoreOptions): Promise<RawItemResult[]>;
  /** Log-likelihood of every choice of every item; progress counts items. */
  scoreChoices(items: ChoiceRequest[], options?: ChoiceScoreOptions): Promise<RawChoiceResult[]>;
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
/**
 * Rows per call at most. Not 64: on onnxruntime-node 200 arithmetic items ran 5-10% faster with 64
 * (length-aware cuts then keep each digit count in one call), but on WASM in the browser a row's
 * log-probs then changed in the last bit with the rows beside it, and a resumed run no longer
 * equalled the uninterrupted one (tests/browser/share.test.ts failed 4 of 6 times; 0 of 5 with 32).
 */
export const DEFAULT_MAX_BATCH = 32;
export const DEFAULT_LOGITS_BUDGET_BYTES = 128 * 1024 * 1024;
