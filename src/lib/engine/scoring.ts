/**
 * Score generation items on one model. Each batch runs its contexts once with a key/value cache
 * and reads logits only at the target positions (continuations.ts); greedy decoding runs only for
 * items where teacher forcing does not prove the greedy output, and it starts where greedy and
 * target part: the target tokens up to the first one that is not the argmax are the greedy
 * output's own first tokens, so decoding continues from that cache (the rest of the target is
 * masked out of it) instead of starting over from the prompt. The rows left to decode wait in a
 * pool until it holds a batch's worth, so that each decoding call serves several batches.
 */
import type { GenerationItem } from '../tasks/types.ts';
import type { KvCache, ModelBackend } from './backend.ts';
import { batchBytes, callBytes, heldCacheBytes, plannedBudget, planRowBatches, type MemoryModel } from './batching.ts';
import { scoreContinuations } from './continuations.ts';
import { CancelledError, EngineError, NumericError } from './errors.ts';
import { runWithinBudget } from './memory.ts';
import { isOutOfMemory } from '../hub/errors.ts';
import { errorText } from '../error-text.ts';
import { encodePair, trimGreedyOutput } from './tokenize.ts';
import {
  DEFAULT_GREEDY_MARGIN,
  DEFAULT_LOGITS_BUDGET_BYTES,
  DEFAULT_MAX_BATCH,
  type RawItemResult,
  type ScoreOptions,
} from './types.ts';

export interface Prepared {
  index: number;
  item: GenerationItem;
  contextIds: number[];
  targetIds: number[];
  cap: number;
}

export interface TeacherForced {
  logprobs: number[];
  isArgmax: boolean[];
  /** Argmax right after the target, when the target has no end token (for the shortcut). */
  nextArgmax: number | null;
}

export function prepareItems(backend: ModelBackend, items: GenerationItem[], margin: number): Prepared[] {
  const eos = backend.eosTokenIds[0];
  return items.map((item, index) => {
    const { contextIds, continuationIds } = encodePair((t) => backend.encode(t), item.prompt, item.target);
    if (item.endToken && eos === undefined) {
      throw new EngineError(`Item ${item.id} needs an end token but the model's tokenizer has none; use a template without one.`);
    }
    const targetIds = item.endToken ? [...continuationIds, eos] : continuationIds;
    const limit = backend.maxSequenceLength;
    if (limit !== null && contextIds.length + targetIds.length + margin > limit) {
      throw new EngineError(
        `Item ${item.id} needs ${contextIds.length + targetIds.length + margin} tokens (prompt, target and a ${margin}-token margin) but this model reads at most ${limit}. Use fewer digits or k-shot examples.`,
      );
    }
    return { index, item, contextIds, targetIds, cap: targetIds.length + margin };
  });
}

/** The greedy output teacher forcing proves, or null when generation must run. */
export function provenGreedyIds(backend: ModelBackend, p: Prepared, tf: TeacherForced): number[] | null {
  if (!tf.isArgmax.every(Boolean)) return null;
  if (p.item.endToken) return p.targetIds;
  const next = tf.nextArgmax!;
  if (backend.eosTokenIds.includes(next)) return [...p.targetIds, next];
  const piece = backend.decode([next]);
  return p.item.stop.some((s) => piece.startsWith(s)) ? p.targetIds : null;
}

export function memoryModelOf(backend: ModelBackend, options: { maxBatchSize?: number; logitsBudgetBytes?: number }): MemoryModel {
  const maxRows = options.maxBatchSize ?? DEFAULT_MAX_BATCH;
  const budgetBytes = options.logitsBudgetBytes ?? DEFAULT_LOGITS_BUDGET_BYTES;
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new EngineError(`maxBatchSize must be a whole number >= 1, got ${maxRows}.`);
  if (!(budgetBytes > 0)) throw new EngineError(`The memory budget must be positive, got ${budgetBytes} bytes.`);
  return {
    vocab: backend.vocabSize,
    kvBytesPerToken: backend.kvBytesPerToken,
    activationBytesPerColumn: backend.activationBytes?.perColumn ?? 0,
    attentionBytesPerPair: backend.activationBytes?.perPair ?? 0,
    budgetBytes: plannedBudget(budgetBytes),
    maxRows,
    scoredOnly: backend.projectsScoredOnly ?? false,
  };
}

/** Whether greedy decoding has finished for these ids (the cut trimGreedyOutput makes). */
function greedyDone(backend: ModelBackend, p: Prepared, ids: number[], pieces: Map<number, boolean>): boolean {
  if (ids.length >= p.cap) return true;
  const last = ids[ids.length - 1];
  if (backend.eosTokenIds.includes(last)) return true;
  let stops = pieces.get(last);
  if (stops === undefined) {
    const piece = backend.decode([last]);
    stops = p.item.stop.some((s) => piece.startsWith(s));
    pieces.set(last, stops);
  }
  return stops;
}

interface Pending {
  p: Prepared;
  /** Target tokens kept in the cache (those before the first miss). */
  keep: number;
  /** The greedy output so far; its last token has not run through the model yet. */
  ids: number[];
  /**
   * The draft for output token j (speculative decoding): the argmax of the teacher-forced pass at
   * j, i.e. the model's own prediction there given the target's earlier tokens.
   */
  draft: number[];
  /** Whether drafting still pays (a call whose first draft token fails stops it). */
  drafting: boolean;
}

/** Rows greedy decoding must continue: row i of `cache` (masked by masks[i]) is todo[i]'s. */
interface DecodeGroup {
  cache: KvCache;
  masks: Uint8Array[];
  todo: Pending[];
}

/**
 * Greedy continuation of rows `todo`, from the cache of their teacher-forced pass (target columns
 * from the first miss on are masked out of it; row i of `cache` is todo[i]'s). Speculative
 * decoding with the teacher-forced argmaxes as the draft: each call runs, after the last greedy
 * token, the tokens the model predicted at the same output positions given the target's prefix;
 * every draft token that equals the argmax before it is accepted, and the first argmax that
 * differs is the next greedy token, so outputs are exactly greedy's. A model that gets one digit
 * wrong and the rest right then needs one call instead of one per token (there the draft is the
 * target), and one whose later predictions do not hinge on the wrong digit too (the target as
 * the draft, used before, fails there: arith-l2-d56 6 -> 3 greedy calls per 200 items,
 * arith-l2-d36 8 -> 7); rows whose draft fails at once stop drafting.
 */
async function continueGreedy(backend: ModelBackend, cache: KvCache, masks: Uint8Array[], todo: Pending[], memory: MemoryModel): Promise<void> {
  const G = todo.length;
  /**
   * Columns of a decoding call (the last token and its drafts) the budget allows: every column
   * holds logits at every row. With a pool's rows and a large vocabulary drafts can cost more
   * than the batch they came from (measured: 32 rows x 7 columns of a 151,936-token vocabulary
   * peaked ~190 MiB above the model with a 128 MiB budget).
   */
  const widest = (past: number, want: number) => {
    let d = want;
    while (d > 1 && callBytes(G, d, past + d, memory) > memory.budgetBytes) d--;
    return d;
  };
  let current = cache;
  let length = cache.length;
  let m = new Uint8Array(G * length);
  masks.forEach((mask, i) => m.set(mask, i * length));
  const pieces = new Map<number, boolean>();
  const done = todo.map((t) => greedyDone(backend, t.p, t.ids, pieces));
  const pad = backend.padTokenId;
  try {
    while (done.some((d) => !d)) {
      const wanted = todo.map((t, i) => (done[i] || !t.drafting ? [] : t.draft.slice(t.ids.length, t.p.cap - 1)));
      const room = widest(length, 1 + Math.max(...wanted.map((d) => d.length))) - 1;
      const drafts = wanted.map((d) => d.slice(0, room));
      const D = 1 + Math.max(...drafts.map((d) => d.length));
      const width = length + D;
      const next = new Uint8Array(G * width);
      const ids = new Int32Array(G * D).fill(pad);
      const positions: number[] = [];
      // Rows already finished still run (the batch keeps its shape) but nothing is read from them,
      // and their new column is padding: a real token there would take the row's next position,
      // and a row finished early (its drafts accepted) would pass the model's last position while
      // the others go on (measured: position 24 of 24 on arith-steps' arith-l2-d36-s250, 64 rows).
      const active = done.map((d) => !d);
      todo.forEach((t, i) => {
        next.set(m.subarray(i * length, (i + 1) * length), i * width);
        ids[i * D] = t.ids[t.ids.length - 1];
        next[i * width + length] = active[i] ? 1 : 0;
        drafts[i].forEach((tok, j) => {
          ids[i * D + 1 + j] = tok;
          next[i * width + length + 1 + j] = 1;
        });
        if (active[i]) for (let j = 0; j <= drafts[i].length; j++) positions.push(i * D + j);
      });
      const K = positions.length;
      // Only the argmax is needed here (target -1: no log-softmax over the vocabulary).
      const step = await backend.step({ ids, mask: next, rows: G, columns: D, past: current, positions: Int32Array.from(positions), targets: new Int32Array(K).fill(-1) });
      if (current !== cache) backend.disposeCache(current);
      current = step.cache;
      let k = 0;
      todo.forEach((t, i) => {
        if (!active[i]) return;
        const draft = drafts[i];
        let valid = 1; // columns of this call that are part of the greedy sequence
        for (let j = 0; j <= draft.length; j++, k++) {
          if (done[i] || j >= valid) continue;
          if (!Number.isFinite(step.logprobs[k])) throw new NumericError(`The model produced non-finite logits while generating item ${t.p.item.id}.`);
          const tok = step.argmax[k];
          t.ids.push(tok);
          done[i] = greedyDone(backend, t.p, t.ids, pieces);
          if (j < draft.length && tok === draft[j]) valid++;
        }
        // Draft columns past the first miss are not part of the sequence: out of the cache's mask.
        for (let j = valid; j < D; j++) next[i * width + length + j] = 0;
        if (draft.length > 0 && valid === 1) t.drafting = false;
      });
      m = next;
      length = width;
    }
  } finally {
    if (current !== cache) backend.disposeCache(current);
  }
}

interface ForcedBatch {
  /** Tokens run through the model (teacher forcing, and decoding without the shortcut). */
  tokens: number;
  /** Items whose results are complete. */
  finished: Prepared[];
  /** Items greedy decoding must continue (the shortcut), with their cache rows. */
  group: DecodeGroup | null;
}

/**
 * Teacher forcing for a batch. Items whose greedy output it proves are finished; the others'
 * cache rows are kept for decoding (decodeGroups), which runs for several batches at once.
 */
async function scoreBatch(backend: ModelBackend, batch: Prepared[], memory: MemoryModel, shortcut: boolean, results: RawItemResult[]): Promise<ForcedBatch> {
  const scored = await scoreContinuations(
    backend,
    // The argmax after the target is read only to prove a greedy output that has no end token.
    batch.map((p) => ({ contextIds: p.contextIds, continuations: [p.targetIds], scoreAfter: shortcut && !p.item.endToken })),
    memory,
    shortcut,
  );
  const needGeneration: Prepared[] = [];
  const todo: Pending[] = [];
  const rows: number[] = [];
  let group: DecodeGroup | null = null;
  try {
    batch.forEach((p, r) => {
      const s = scored.scores[r][0];
      const isArgmax = p.targetIds.map((t, j) => s.argmax[j] === t);
      const tf: TeacherForced = { logprobs: s.logprobs, isArgmax, nextArgmax: p.item.endToken ? null : s.nextArgmax };
      const proven = shortcut ? provenGreedyIds(backend, p, tf) : null;
      const out = proven ? trimGreedyOutput(proven, p.cap, backend.eosTokenIds, p.item.stop, (ids) => backend.decode(ids)) : null;
      results[p.index] = {
        itemId: p.item.id,
        promptTokenCount: p.contextIds.length,
        targetTokenIds: p.targetIds,
        targetLogprobs: s.logprobs,
        targetIsArgmax: isArgmax,
        outputTokenIds: out?.ids ?? [],
        outputText: out?.text ?? '',
        generated: proven === null,
      };
      if (proven !== null) return;
      needGeneration.push(p);
      if (shortcut) {
        const miss = isArgmax.indexOf(false);
        const keep = miss < 0 ? p.targetIds.length : miss;
        rows.push(r);
        todo.push({
          p,
          keep,
          ids: [...p.targetIds.slice(0, keep), keep < p.targetIds.length ? s.argmax[keep] : s.nextArgmax],
          draft: s.argmax,
          drafting: keep + 1 < s.argmax.length,
        });
      }
    });
    if (todo.length > 0) {
      const cache = todo.length === scored.cache!.rows ? scored.cache! : await backend.selectRows(scored.cache!, rows);
      if (cache === scored.cache) scored.cache = null;
      group = { cache, masks: todo.map((t, i) => scored.maskKeeping(rows[i], t.keep)), todo };
    }
  } finally {
    if (scored.cache) backend.disposeCache(scored.cache);
  }
  let tokens = batch.reduce((s, p) => s + p.contextIds.length + p.targetIds.length, 0);
  if (!shortcut && needGeneration.length > 0) {
    // Without the shortcut every item is decoded from its prompt by the runtime's own generate().
    const cap = Math.max(...needGeneration.map((p) => p.cap));
    const generated = await backend.generateGreedy(needGeneration.map((p) => p.contextIds), cap);
    tokens += needGeneration.reduce((s, p) => s + p.contextIds.length, 0) + needGeneration.length * cap;
    needGeneration.forEach((p, r) => {
      const out = trimGreedyOutput(generated[r], p.cap, backend.eosTokenIds, p.item.stop, (ids) => backend.decode(ids));
      results[p.index].outputTokenIds = out.ids;
      results[p.index].outputText = out.text;
    });
  }
  const pending = new Set(todo.map((t) => t.p));
  return { tokens, finished: batch.filter((p) => !pending.has(p)), group };
}

/**
 * Greedy decoding for the rows of several batches: their caches joined into one (each right-padded
 * to the longest, the padding masked out) so that each decoding call serves them all. Decoding
 * once per batch cost a call per output token per batch: on 200 arithmetic items the smallest
 * rung ran 14 decoding calls for its 154 undecided items. Caches on the GPU are joined there
 * (device-graphs.ts cacheJoinGraph); where the backend cannot join them each group decodes
 * alone. Out of memory, a group is decoded in halves, down to single rows. The groups' caches
 * are disposed. Returns the tokens decoded.
 */
async function decodeGroups(backend: ModelBackend, groups: DecodeGroup[], results: RawItemResult[], memory: MemoryModel): Promise<number> {
  let work = groups;
  try {
    if (groups.length > 1 && backend.joinCaches) {
      const length = Math.max(...groups.map((g) => g.cache.length));
      const cache = await backend.joinCaches(
        groups.map((g) => g.cache),
        length,
      );
      if (cache) {
        const padded = (mask: Uint8Array) => {
          const out = new Uint8Array(length);
          out.set(mask);
          return out;
        };
        work = [{ cache, masks: groups.flatMap((g) => g.masks.map(padded)), todo: groups.flatMap((g) => g.todo) }];
        for (const g of groups) backend.disposeCache(g.cache);
      }
    }
    for (const g of work) await decodeWithinMemory(backend, g, memory);
  } catch (err) {
    // Decoding out of memory even a row at a time: not for the caller's planner to retry (the
    // items of earlier batches would be lost with the error), the run fails with it.
    if (isOutOfMemory(err)) throw new EngineError(`Greedy decoding ran out of memory even one item at a time: ${errorText(err)}`);
    throw err;
  } finally {
    for (const g of work) backend.disposeCache(g.cache);
  }
  let tokens = 0;
  for (const t of work.flatMap((g) => g.todo)) {
    const out = trimGreedyOutput(t.ids, t.p.cap, backend.eosTokenIds, t.p.item.stop, (ids) => backend.decode(ids));
    results[t.p.index].outputTokenIds = out.ids;
    results[t.p.index].outputText = out.text;
    tokens += t.ids.length - t.keep;
  }
  return tokens;
}

/** continueGreedy, in halves of the rows (each from the cache as it was) after an out-of-memory error. */
async function decodeWithinMemory(backend: ModelBackend, g: DecodeGroup, memory: MemoryModel): Promise<void> {
  const start = g.todo.map((t) => ({ ids: [...t.ids], drafting: t.drafting }));
  try {
    await continueGreedy(backend, g.cache, g.masks, g.todo, memory);
  } catch (err) {
    if (!isOutOfMemory(err) || g.todo.length === 1) throw err;
    g.todo.forEach((t, i) => Object.assign(t, { ids: [...start[i].ids], drafting: start[i].drafting }));
    const half = g.todo.length >> 1;
    for (const [from, to] of [[0, half], [half, g.todo.length]]) {
      const cache = await backend.selectRows(g.cache, Array.from({ length: to - from }, (_, i) => from + i));
      try {
        await decodeWithinMemory(backend, { cache, masks: g.masks.slice(from, to), todo: g.todo.slice(from, to) }, memory);
      } finally {
        backend.disposeCache(cache);
      }
    }
  }
}

export async function scoreItems(backend: ModelBackend, items: GenerationItem[], options: ScoreOptions = {}, modelId = ''): Promise<RawItemResult[]> {
  const margin = options.greedyMargin ?? DEFAULT_GREEDY_MARGIN;
  if (!Number.isInteger(margin) || margin < 1) throw new EngineError(`greedyMargin must be a whole number >= 1, got ${margin}.`);
  const shortcut = options.shortcut ?? true;
  const memory = memoryModelOf(backend, options);
  const prepared = prepareItems(backend, items, margin);
  const results: RawItemResult[] = new Array(items.length);
  const t0 = Date.now();
  let tokens = 0;
  let done = 0;
  // A row needs its context, its target and up to `cap` generated tokens of cache; it scores its
  // target and the token after it.
  const rowLength = (p: Prepared) => p.contextIds.length + p.cap;
  const scoredColumns = (p: Prepared) => 1 + p.targetIds.length;
  const plan = (entries: Prepared[], m: MemoryModel) => planRowBatches(entries, () => 1, rowLength, scoredColumns, m);
  // Results first, then progress: a page that shows N items done has been handed their results
  // (a report can hold a pool's worth of items, so progress first could run far ahead of them).
  const report = async (finished: Prepared[]) => {
    if (finished.length === 0) return;
    done += finished.length;
    await options.onBatch?.(finished.map((p) => results[p.index]));
    options.onProgress?.({ modelId, itemsDone: done, itemsTotal: items.length, tokensProcessed: tokens, elapsedMs: Date.now() - t0 });
  };
  // Rows waiting for greedy decoding, from one or more batches (decodeGroups); their items are
  // reported when decoded.
  let pool: DecodeGroup[] = [];
  const rowsOf = (groups: DecodeGroup[]) => groups.reduce((s, g) => s + g.todo.length, 0);
  /** Columns of cache the longest row of these groups can reach while decoding. */
  const longest = (groups: DecodeGroup[]) => Math.max(...groups.map((g) => g.cache.length + Math.max(...g.todo.map((t) => t.p.cap))));
  /**
   * Caches a pool's decoding holds besides its call's: those it was joined from, and where
   * disposed caches stay until the garbage collector runs (JavaScript memory: CPU and WASM) each
   * decoding call's predecessor too, one per token its longest-running row may still emit
   * (measured on a 2 x 256 model with 8-shot rows: ArrayBuffers grew by ~18 MB a decoding call,
   * 85 -> 197 MB, before a collection).
   */
  const cachesHeld = (groups: DecodeGroup[]) =>
    groups.every((g) => g.cache.freedOnDispose) ? 1 : Math.max(...groups.flatMap((g) => g.todo.map((t) => t.p.cap - t.ids.length + 1)));
  /** A pool's decoding peak. */
  const decodeBytes = (groups: DecodeGroup[], m: MemoryModel) => callBytes(rowsOf(groups), 1, longest(groups), m) + cachesHeld(groups) * heldCacheBytes(rowsOf(groups), longest(groups), m);
  /** The budget the pool's rows were planned with (halved after an out-of-memory error). */
  let poolMemory = memory;
  const flush = async () => {
    const groups = pool;
    pool = [];
    tokens += await decodeGroups(backend, groups, results, poolMemory);
    await report(groups.flatMap((g) => g.todo.map((t) => t.p)));
  };
  try {
    await runWithinBudget(
      prepared,
      memory,
      plan,
      async (batch, m) => {
        // The rows waiting to decode hold their caches while this batch runs: decode them first
        // where both would not fit the budget together.
        const batchPeak = batchBytes(batch.length, Math.max(...batch.map(scoredColumns)), Math.max(...batch.map(rowLength)), m);
        if (pool.length > 0 && batchPeak + heldCacheBytes(rowsOf(pool), longest(pool), m) > m.budgetBytes) await flush();
        const scored = await scoreBatch(backend, batch, m, shortcut, results);
        tokens += scored.tokens;
        // Decode once the pool holds a batch of rows, or before it would hold more (or its cache
        // would pass the budget); at once where caches cannot be joined.
        if (scored.group) {
          const next = [...pool, scored.group];
          if (pool.length > 0 && (rowsOf(next) > m.maxRows || decodeBytes(next, m) > m.budgetBytes)) {
            try {
              await flush();
            } catch (err) {
              backend.disposeCache(scored.group.cache);
              throw err;
            }
          }
          pool.push(scored.group);
          poolMemory = m;
        }
        if (pool.length > 0 && (!backend.joinCaches || rowsOf(pool) >= m.maxRows)) await flush();
        await report(scored.finished);
      },
      options.signal,
    );
    await flush();
  } catch (err) {
    // Cancelled between batches: the items already scored and waiting for decoding are finished
    // and reported first, so the run keeps them (if that fails too, the cancel stands).
    if (err instanceof CancelledError && pool.length > 0) await flush().catch(() => undefined);
    throw err;
  } finally {
    for (const g of pool) backend.disposeCache(g.cache);
  }
  return results;
}
