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
  /** Greedy continuation of each prompt: exactly maxNewTokens new ids per row (trimmed by the caller). */
  generateGreedy(prompts: number[][], maxNewTokens: number): Promise<number[][]>;
  dispose(): Promise<void>;
}
