/**
 * The small surface the scoring algorithm needs from a runtime. transformers-backend.ts
 * implements it with transformers.js; keeping it narrow keeps scoring.ts runtime-free.
 */
export interface LogitsBatch {
  /** Row-major [rows, length, vocab]. */
  data: Float32Array;
  rows: number;
  length: number;
  vocab: number;
}

/** A key/value cache held by the runtime (CPU arrays or GPU buffers); opaque to the scoring code. */
export interface KvCache {
  readonly rows: number;
  /** Columns (tokens, padding included) the cache covers. */
  readonly length: number;
  /**
   * Whether disposing the cache frees its memory at once (GPU buffers). Caches in JavaScript
   * memory (CPU and WASM) stay until the garbage collector runs, which the memory planner counts.
   */
  readonly freedOnDispose?: boolean;
}

/** One forward step over `columns` new tokens per row, after an optional cache. */
export interface StepInput {
  /** Row-major [rows, columns] token ids. */
  ids: Int32Array;
  /** Row-major [rows, past + columns]: 1 where a token is real, 0 for padding or a discarded cache column. */
  mask: Uint8Array;
  rows: number;
  columns: number;
  past: KvCache | null;
  /** Only the last column's logits are used (lets graphs with num_logits_to_keep skip the others). */
  lastOnly?: boolean;
  /**
   * The positions to score, as row * columns + column of this call, and per position the token
   * whose log-prob is wanted, or -1 where only the argmax matters: its log-prob is then 0 when
   * the logits there are finite and NaN when not (no log-softmax over the vocabulary is taken).
   */
  positions: Int32Array;
  targets: Int32Array;
}

/** Per scored position: log softmax(logits)[target] and the argmax (first index on ties). */
export interface StepScores {
  logprobs: Float32Array;
  argmax: Int32Array;
  cache: KvCache;
}

export interface ModelBackend {
  readonly vocabSize: number;
  readonly eosTokenIds: number[];
  readonly padTokenId: number;
  /** Longest sequence the model accepts (position embeddings), or null when unbounded/unknown. */
  readonly maxSequenceLength: number | null;
  /** Token ids of plain text, no special tokens added. */
  encode(text: string): number[];
  /** Text of ids, special tokens removed. */
  decode(ids: number[]): string;
  /** Logits for right-padded rows (each row attends only to its own tokens). */
  forward(rows: number[][]): Promise<LogitsBatch>;
  /**
   * Bytes of key/value cache per token per row (all layers, keys and values), for the memory
   * planner; 0 when unknown.
   */
  readonly kvBytesPerToken: number;
  /**
   * One layer's activation bytes per column a call runs (`perColumn`: its MLP and attention
   * tensors) and per (column, key) pair (`perPair`: its attention scores), for the memory
   * planner; absent when unknown (then only logits and the cache are counted).
   */
  readonly activationBytes?: { perColumn: number; perPair: number };
  /**
   * Whether a step projects onto the vocabulary only at its scored positions (the scoring head,
   * scoring-head.ts): columns without a score then cost no logits, so a call need not be split
   * to keep them out of it, and the memory planner counts logits for scored positions only.
   */
  readonly projectsScoredOnly?: boolean;
  /**
   * Run the new columns and score the requested positions where the logits are (the logits never
   * come back whole); returns the cache extended by the new columns. The caller disposes caches.
   */
  step(input: StepInput): Promise<StepScores>;
  /** A cache whose row i is row `rows[i]` of `cache` (repeats allowed); `cache` stays valid. */
  selectRows(cache: KvCache, rows: number[]): Promise<KvCache>;
  /**
   * One cache holding the rows of every given cache in order, each right-padded with zeros to
   * `length` columns (the caller masks those columns out); the given caches stay valid. Caches
   * on the GPU are joined there. Null where this runtime cannot join them (out of memory, a
   * device that fails the join graph, caches in different places): the caller then uses them
   * one at a time. Optional: without it caches are never joined.
   */
  joinCaches?(caches: KvCache[], length: number): Promise<KvCache | null>;
  disposeCache(cache: KvCache): void;
  /** Greedy continuation of each prompt: exactly maxNewTokens new ids per row (trimmed by the caller). */
  generateGreedy(prompts: number[][], maxNewTokens: number): Promise<number[][]>;
  dispose(): Promise<void>;
}
