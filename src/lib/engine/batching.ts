/**
 * Memory planning. A forward pass holds, besides the weights, the logits of the columns it runs
 * (rows x columns x vocab floats, several copies: the runtime's output, the copy handed to
 * JavaScript, the MatMul's work buffer), the key/value cache of every row, and the activations of
 * the columns it runs (each layer's MLP and attention tensors, and the attention scores of each
 * column against every key). The planner sizes batches (rows) and calls (columns per forward) so
 * that this estimate stays within the budget, down to one row and one column per call; cached
 * scoring (continuations.ts) can split any row into calls of any width, so one long row never
 * exceeds it either.
 */

/**
 * Copies of one call's logits alive at its peak: the runtime's output, the copy handed to
 * JavaScript, the MatMul's work buffer, and the previous call's copy not yet collected. Issue 14
 * measured the full-sequence engine's peak RSS at 2.8-3.5x its planned logits; 4 keeps the plan
 * on the safe side. With it, bench/memory.bench.ts (random models, vocabularies 50,257 and
 * 151,936) stays within 128 MiB for zero-shot prompts; long prompts add a working set of
 * ~80 MiB that does not depend on the budget (it is there with a 1 MiB budget too: the JS heap
 * and the runtime's allocator), see docs/benchmarks.md.
 */
export const LOGITS_PEAK_FACTOR = 4;
/** The key/value cache exists twice while a step runs (its input and the grown present.* output). */
export const KV_PEAK_FACTOR = 2;
/**
 * What a scoring run holds besides what callBytes counts (the JS heap's and the runtime
 * allocator's working set, the model's activations): bench/memory.bench.ts measured 39-41 MiB
 * above the loaded model with a 1 MiB budget (8-shot prompts, 151,936-token vocabulary), and the
 * peak grew by ~0.75 of each planned byte beyond it. The planner keeps this much of a budget free
 * (at most half of it), so that a 128 MiB budget holds with long prompts (it did not: 136-141 MiB).
 */
export const WORKING_SET_RESERVE_BYTES = 32 * 1024 * 1024;

/** The part of a memory budget the planner fills: the budget less WORKING_SET_RESERVE_BYTES, at most half of it. */
export function plannedBudget(budgetBytes: number): number {
  return budgetBytes - Math.min(WORKING_SET_RESERVE_BYTES, budgetBytes / 2);
}
/**
 * Copies of a layer's activations (activationBytesOfConfig) alive at a call's peak: the runtime's
 * allocator keeps freed blocks of earlier shapes. Measured (bench/memory.bench.ts, 8-shot prompts
 * of ~240 tokens, 128 MiB budget, the planner without activations): random models of 4 x 128
 * (2 heads), 2 x 256 (4 heads) and 4 x 256 (8 heads) peaked at 130-203 MiB above the loaded
 * model; with this term and the caches of rows waiting to decode counted (heldCacheBytes, in
 * scoring.ts once per decoding call) 61-116 MiB (docs/benchmarks.md, memory budget).
 */
export const ACTIVATION_PEAK_FACTOR = 2;

export interface MemoryModel {
  vocab: number;
  kvBytesPerToken: number;
  budgetBytes: number;
  maxRows: number;
  /** Logits exist only at scored positions (ModelBackend.projectsScoredOnly). */
  scoredOnly?: boolean;
  /** Activation bytes of one layer per column run (ModelBackend.activationBytes; 0 when unknown). */
  activationBytesPerColumn?: number;
  /** Attention-score bytes of one layer per (column run, key) pair (0 when unknown). */
  attentionBytesPerPair?: number;
}

/**
 * One layer's activations per column and per (column, key) pair, float32, from the config: a
 * transformer block holds at its peak its MLP's hidden activation twice (the up-projection and
 * its activation function's output), a few hidden-sized tensors (residual, norm, attention
 * input and output, the split heads) and, per key, the attention scores three times (scores,
 * masked and scaled, softmax). Undefined where the config does not say the model's width.
 */
export function activationBytesOfConfig(cfg: Record<string, unknown>): { perColumn: number; perPair: number } | undefined {
  const hidden = Number(cfg.n_embd ?? cfg.hidden_size ?? cfg.d_model ?? 0);
  if (!(hidden > 0)) return undefined;
  const inner = Number(cfg.n_inner ?? cfg.intermediate_size ?? cfg.ffn_dim ?? 0) || 4 * hidden;
  const heads = Number(cfg.n_head ?? cfg.num_attention_heads ?? 0) || 1;
  return { perColumn: (2 * inner + 4 * hidden) * 4, perPair: 3 * heads * 4 };
}

/** Activations of one column of a call over sequences `totalLength` long (it attends to every key). */
function activationBytesPerColumn(totalLength: number, m: MemoryModel): number {
  return ACTIVATION_PEAK_FACTOR * ((m.activationBytesPerColumn ?? 0) + totalLength * (m.attentionBytesPerPair ?? 0));
}

/**
 * Estimated peak bytes of one call of `rows` rows over sequences `totalLength` long that runs
 * `runColumns` columns of which `columns` hold logits (all of them by default).
 */
export function callBytes(rows: number, columns: number, totalLength: number, m: MemoryModel, runColumns = columns): number {
  return rows * (columns * m.vocab * 4 * LOGITS_PEAK_FACTOR + totalLength * m.kvBytesPerToken * KV_PEAK_FACTOR + runColumns * activationBytesPerColumn(totalLength, m));
}

/**
 * Estimated peak bytes of a batch's widest call: its scored columns, and where logits exist only
 * at scored columns (m.scoredOnly) its whole rows, which then run in one call (columnsPerCall).
 */
export function batchBytes(rows: number, scoredColumns: number, length: number, m: MemoryModel): number {
  return callBytes(rows, scoredColumns, length, m, m.scoredOnly ? length : scoredColumns);
}

/**
 * Bytes of key/value cache that rows waiting for greedy decoding hold (their batches' caches,
 * kept until the pool is decoded). While they wait, every teacher-forced call runs beside them,
 * and decoding them joins their caches into one more copy before its first call grows it again.
 */
export function heldCacheBytes(rows: number, length: number, m: MemoryModel): number {
  return rows * length * m.kvBytesPerToken;
}

/**
 * Widest call (columns per forward, at least 1) that keeps `rows` rows of `totalLength` within the
 * budget. `scoredColumns`: how many of a row's columns carry a score; where logits exist only
 * there (m.scoredOnly) the other columns cost none, so the whole row runs in one call when its
 * scored columns fit.
 */
export function columnsPerCall(rows: number, totalLength: number, m: MemoryModel, scoredColumns = totalLength): number {
  if (m.scoredOnly && callBytes(rows, Math.min(scoredColumns, totalLength), totalLength, m, totalLength) <= m.budgetBytes) return totalLength;
  // Narrower calls, counted as if every column held logits.
  const perColumn = rows * (m.vocab * 4 * LOGITS_PEAK_FACTOR + activationBytesPerColumn(totalLength, m));
  const fixed = rows * totalLength * m.kvBytesPerToken * KV_PEAK_FACTOR;
  return Math.max(1, Math.min(totalLength, Math.floor((m.budgetBytes - fixed) / perColumn)));
}

/**
 * What one forward call costs beyond its positions, in positions: the runtime dispatches every
 * operator of the graph whatever the call's size, and inputs and outputs cross into and out of it.
 * Measured on onnxruntime-node CPU: a call of arith-l4-d128 costs ~0.3-0.5 ms besides ~7 us per
 * position (2 x 4 positions 0.45 ms, 8 x 5 0.7 ms, 32 x 18 4.5 ms); smaller models cost less of
 * both. The planner trades padding against calls with it.
 */
export const CALL_COST_POSITIONS = 64;

/**
 * Split entries into batches of at most maxRows rows (an entry may count several rows: one per
 * choice), each small enough that `wantColumns` columns of all its rows fit in the budget (an
 * entry that alone does not fit still gets a batch of its own: its calls then run fewer columns).
 * Entries are sorted by length and cut where it costs least: the cut minimises the padded
 * positions (each row runs as long as the batch's longest) plus CALL_COST_POSITIONS per batch, by
 * dynamic programming over the sorted order (exact for contiguous cuts; O(entries x maxRows)).
 * Batches of the same length therefore stay together (the 40 items of each digit count of an
 * arithmetic task become one batch of 40 where maxRows allows it, not parts of two batches padded
 * to the longer one), and short tails do not cost a call of their own when they can join one.
 */
export function planRowBatches<T>(
  entries: T[],
  rowsOf: (e: T) => number,
  lengthOf: (e: T) => number,
  wantColumns: (e: T) => number,
  m: MemoryModel,
): T[][] {
  const order = entries.map((e, k) => ({ e, k, length: lengthOf(e) })).sort((x, y) => y.length - x.length || x.k - y.k);
  const sorted = order.map((x) => x.e);
  const length = order.map((x) => x.length);
  const rowsAt = sorted.map(rowsOf);
  const columnsAt = sorted.map(wantColumns);
  const n = sorted.length;
  // best[j]: the least cost of batching sorted[0, j); start[j]: where its last batch starts.
  const best = new Float64Array(n + 1).fill(Infinity);
  const start = new Int32Array(n + 1);
  best[0] = 0;
  for (let j = 1; j <= n; j++) {
    let rows = 0;
    let columns = 0;
    // Batch sorted[i, j): its longest entry is sorted[i]; growing it to the left only adds rows,
    // length and columns, so the first that does not fit ends the search.
    for (let i = j - 1; i >= 0; i--) {
      rows += rowsAt[i];
      columns = Math.max(columns, columnsAt[i]);
      // With logits at scored columns only a whole row runs in one call, so its activations count
      // whole (then calls never split a row, and a row's numbers do not depend on its batch).
      if (i < j - 1 && (rows > m.maxRows || batchBytes(rows, columns, length[i], m) > m.budgetBytes)) break;
      const cost = best[i] + rows * length[i] + CALL_COST_POSITIONS;
      if (cost < best[j]) {
        best[j] = cost;
        start[j] = i;
      }
    }
  }
  const batches: T[][] = [];
  for (let j = n; j > 0; j = start[j]) batches.push(sorted.slice(start[j], j));
  return batches.reverse();
}

/**
 * Full-sequence batches (the reference path, scoring/reference.ts): rows x length x vocab x 4
 * bytes <= budget, rows <= maxBatch.
 */
export function planBatches<T>(
  entries: T[],
  lengthOf: (e: T) => number,
  vocab: number,
  maxBatch: number,
  budgetBytes: number,
): T[][] {
  const sorted = [...entries].sort((x, y) => lengthOf(y) - lengthOf(x));
  const batches: T[][] = [];
  let current: T[] = [];
  let currentLen = 0;
  for (const e of sorted) {
    const len = Math.max(currentLen, lengthOf(e));
    const rowsAllowed = Math.max(1, Math.min(maxBatch, Math.floor(budgetBytes / (len * vocab * 4))));
    if (current.length > 0 && current.length + 1 > rowsAllowed) {
      batches.push(current);
      current = [];
      currentLen = 0;
    }
    current.push(e);
    currentLen = Math.max(currentLen, lengthOf(e));
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
