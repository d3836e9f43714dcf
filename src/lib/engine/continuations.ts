/**
 * Scoring continuations with logits read only where they are needed, in calls the memory budget
 * allows (a row of any length can be split into calls of any width, with a key/value cache).
 *
 * Two layouts:
 * - whole rows (one continuation per context, generation items): [context, continuation,
 *   right padding]. Every row starts at column 0 whatever the batch, so a row's numbers do not
 *   depend on which rows share its batch (a resumed run equals an uninterrupted one).
 * - shared prefix (several continuations per context, choice items): each context runs once
 *   (all but its last token, left-padded, keeping the cache), the cache is repeated for each of
 *   its continuations, then [last context token, continuation tokens] run on top of it.
 *
 * The logits at a row's scored column j predict continuation token j (j < T) or, at j = T, the
 * token after it (what greedy decoding emits next).
 */
import type { KvCache, ModelBackend, StepScores } from './backend.ts';
import { columnsPerCall, type MemoryModel } from './batching.ts';
import { NumericError } from './errors.ts';

/** Logits (rows x columns x vocab) before the first scored column above which those columns run apart (see below). */
export const SEPARATE_PREFIX_LOGITS = 1 << 20;

export interface ContinuationGroup {
  contextIds: number[];
  continuations: number[][];
  /**
   * Whether the argmax after the last continuation token is wanted (nextArgmax; default true).
   * Without it a whole row does not run its last token: a target ending in an end token needs no
   * prediction after it (~7% of the positions of the ladder's items).
   */
  scoreAfter?: boolean;
}

export interface ContinuationScore {
  logprobs: number[];
  /** Argmax at each continuation position. */
  argmax: number[];
  /** Argmax after the last continuation token (what greedy decoding would emit next). */
  nextArgmax: number;
}

export interface ScoredBatch {
  /** Per group, per continuation. */
  scores: ContinuationScore[][];
  /** Continuation rows in order (group-major), with the cache that covers them, when kept. */
  rows: { group: number; continuation: number }[];
  cache: KvCache | null;
  /** The cache's attention mask for row r keeping only the first `keep` continuation tokens. */
  maskKeeping(row: number, keep: number): Uint8Array;
}

/**
 * Score every continuation of every group; with keepCache the final cache (one row per
 * continuation) and its mask are returned for greedy decoding, and the caller disposes the cache.
 */
export async function scoreContinuations(backend: ModelBackend, groups: ContinuationGroup[], memory: MemoryModel, keepCache: boolean): Promise<ScoredBatch> {
  const pad = backend.padTokenId;
  const rows = groups.flatMap((g, group) => g.continuations.map((_, continuation) => ({ group, continuation })));
  const shared = groups.some((g) => g.continuations.length !== 1);
  const R = rows.length;
  const T = Math.max(...groups.flatMap((g) => g.continuations.map((c) => c.length)));
  // Shared prefix: Lp prefill columns (left-padded), then 1 + T scored columns. Whole rows: no prefill block.
  const Lp = shared ? Math.max(...groups.map((g) => g.contextIds.length - 1)) : 0;
  /** Scored columns after a row's continuation: 1 (nextArgmax) or, for whole rows that do not want it, 0. */
  const after = (r: number) => (shared || groups[rows[r].group].scoreAfter !== false ? 1 : 0);
  /** Tokens a whole row runs: its context, its continuation, less the last token where nothing is scored after it. */
  const runLength = (r: number) => groups[rows[r].group].contextIds.length + groups[rows[r].group].continuations[rows[r].continuation].length - 1 + after(r);
  const N = shared ? Lp + 1 + T : Math.max(...rows.map((_, r) => runLength(r)));
  /** Absolute column of row r's scored column 0 (its last context token). */
  const scoredStart = (r: number) => (shared ? Lp : groups[rows[r].group].contextIds.length - 1);

  const ids = new Int32Array(R * N).fill(pad);
  const mask = new Uint8Array(R * N);
  rows.forEach(({ group, continuation }, r) => {
    const ctx = groups[group].contextIds;
    const seq = [...ctx, ...groups[group].continuations[continuation]].slice(0, shared ? undefined : runLength(r));
    const first = scoredStart(r) - (ctx.length - 1);
    seq.forEach((t, j) => {
      ids[r * N + first + j] = t;
      mask[r * N + first + j] = 1;
    });
  });

  const scores: ContinuationScore[][] = groups.map((g) => g.continuations.map(() => ({ logprobs: [], argmax: [], nextArgmax: -1 })));
  /** The positions of a call over rows [firstRow, firstRow + n) and columns [from, to) that carry a score. */
  const picksOf = (firstRow: number, n: number, from: number, to: number) => {
    const positions: number[] = [];
    const targets: number[] = [];
    const where: { row: number; j: number }[] = [];
    for (let i = 0; i < n; i++) {
      const { group, continuation } = rows[firstRow + i];
      const cont = groups[group].continuations[continuation];
      const start = scoredStart(firstRow + i);
      for (let col = Math.max(from, start); col < Math.min(to, start + cont.length + after(firstRow + i)); col++) {
        const j = col - start;
        positions.push(i * (to - from) + col - from);
        // After the continuation only the argmax matters (-1: the backend still checks for NaN).
        targets.push(j < cont.length ? cont[j] : -1);
        where.push({ row: firstRow + i, j });
      }
    }
    return { positions: Int32Array.from(positions), targets: Int32Array.from(targets), where };
  };
  const read = (out: StepScores, where: { row: number; j: number }[]) => {
    where.forEach(({ row, j }, k) => {
      const lp = out.logprobs[k];
      if (!Number.isFinite(lp)) throw new NumericError(`The model produced a non-finite log-probability (${lp}); its outputs are unusable on this backend.`);
      const { group, continuation } = rows[row];
      const s = scores[group][continuation];
      if (j < groups[group].continuations[continuation].length) {
        s.logprobs[j] = lp;
        s.argmax[j] = out.argmax[k];
      } else s.nextArgmax = out.argmax[k];
    });
  };
  const maskKeeping = (r: number, keep: number) => {
    const out = mask.slice(r * N, (r + 1) * N);
    out.fill(0, scoredStart(r) + 1 + keep);
    return out;
  };

  const slice = <A extends Uint8Array | Int32Array>(src: A, nRows: number, from: number, to: number, rowOf: (i: number) => number): A => {
    const width = to - from;
    const out = (src instanceof Uint8Array ? new Uint8Array(nRows * width) : new Int32Array(nRows * width)) as A;
    for (let i = 0; i < nRows; i++) out.set(src.subarray(rowOf(i) * N + from, rowOf(i) * N + to), i * width);
    return out;
  };

  let groupCache: KvCache | null = null;
  let cache: KvCache | null = null;
  const dispose = (c: KvCache | null) => {
    if (c) backend.disposeCache(c);
  };
  try {
    // Prefill (shared prefix only): one row per group (its first continuation row stands for it); its logits are not needed.
    const groupRow = groups.map((_, g) => rows.findIndex((x) => x.group === g));
    const G = groups.length;
    const prefillWidth = columnsPerCall(G, N, memory, 0);
    for (let from = 0; from < Lp; from += prefillWidth) {
      const to = Math.min(Lp, from + prefillWidth);
      const step = await backend.step({ ids: slice(ids, G, from, to, (i) => groupRow[i]), mask: slice(mask, G, 0, to, (i) => groupRow[i]), rows: G, columns: to - from, past: groupCache, lastOnly: true, positions: new Int32Array(0), targets: new Int32Array(0) });
      dispose(groupCache);
      groupCache = step.cache;
    }
    // Then the rest, at most maxRows continuation rows per call (an item may have more choices).
    const rowChunk = shared ? Math.max(1, Math.min(R, memory.maxRows)) : R;
    const firstNeeded = shared ? Lp : Math.min(...rows.map((_, r) => scoredStart(r)));
    for (let r0 = 0; r0 < R; r0 += rowChunk) {
      const n = Math.min(rowChunk, R - r0);
      cache = groupCache ? await backend.selectRows(groupCache, rows.slice(r0, r0 + n).map((x) => x.group)) : null;
      // Scored columns per row: the continuation and the column before it.
      const width = columnsPerCall(n, N, memory, T + 1);
      // Whole rows with a large vocabulary and no scoring head: the columns before the first
      // scored one run in calls of their own, which fetch no logits, so the runtime does not copy
      // them out (it still computes them: ONNX Runtime runs every node; measured: a 32 x 20 call of
      // a 2 x 64 model with GPT-2's vocabulary takes 23 ms CPU without the logits output, 90 ms
      // with it). With a small vocabulary (the bundled ladder's 17) those logits cost less than
      // the extra call, so the columns stay in one call.
      // A backend with a scoring head computes no logits there anyway.
      const skipTo = !shared && !memory.scoredOnly && n * firstNeeded * memory.vocab >= SEPARATE_PREFIX_LOGITS ? firstNeeded : 0;
      for (let from = Lp, to = 0; from < N; from = to) {
        to = Math.min(N, from + width);
        if (from < skipTo && to > skipTo) to = skipTo;
        const picks = picksOf(r0, n, from, to);
        const step = await backend.step({ ids: slice(ids, n, from, to, (i) => r0 + i), mask: slice(mask, n, 0, to, (i) => r0 + i), rows: n, columns: to - from, past: cache, lastOnly: to <= firstNeeded, ...picks });
        dispose(cache);
        cache = step.cache;
        read(step, picks.where);
      }
      if (!keepCache || r0 + n < R) {
        dispose(cache);
        cache = null;
      }
    }
  } catch (err) {
    dispose(cache);
    throw err;
  } finally {
    dispose(groupCache);
  }
  return { scores, rows, cache, maskKeeping };
}
