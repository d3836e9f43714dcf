/**
 * Score generation items on one model. Each batch runs its contexts once with a key/value cache
 * and reads logits only at the target positions (continuations.ts); greedy decoding runs only for
 * items where teacher forcing does not prove the greedy output, and it starts where greedy and
 * target part: the target tokens up to the first one that is not the argmax are the greedy
 * output's own first tokens, so decoding continues from that cache (the rest of the target is
 * masked out of it) instead of starting over from the prompt.
 */
import type { GenerationItem } from '../tasks/types.ts';
import type { KvCache, ModelBackend } from './backend.ts';
import { planRowBatches, type MemoryModel } from './batching.ts';
import { scoreContinuations } from './continuations.ts';
import { EngineError, NumericError } from './errors.ts';
import { runWithinBudget } from './memory.ts';
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
  return { vocab: backend.vocabSize, kvBytesPerToken: backend.kvBytesPerToken, budgetBytes, maxRows, scoredOnly: backend.projectsScoredOnly ?? false };
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
  row: number;
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

/**
 * Greedy continuation of rows `todo` of the scored batch, from the cache of the teacher-forced
 * pass (target columns from the first miss on are masked out of it). Speculative decoding with
 * the teacher-forced argmaxes as the draft: each call runs, after the last greedy token, the
 * tokens the model predicted at the same output positions given the target's prefix; every draft
 * token that equals the argmax before it is accepted, and the first argmax that differs is the
 * next greedy token, so outputs are exactly greedy's. A model that gets one digit wrong and the
 * rest right then needs one call instead of one per token (there the draft is the target), and
 * one whose later predictions do not hinge on the wrong digit too (the target as the draft, used
 * before, fails there: arith-l2-d56 6 -> 3 greedy calls per 200 items, arith-l2-d36 8 -> 7);
 * rows whose draft fails at once stop drafting.
 */
async function continueGreedy(backend: ModelBackend, cache: KvCache, maskKeeping: (row: number, keep: number) => Uint8Array, todo: Pending[]): Promise<void> {
  const G = todo.length;
  let current = G === cache.rows ? cache : await backend.selectRows(cache, todo.map((t) => t.row));
  let length = cache.length;
  let m = new Uint8Array(G * length);
  todo.forEach((t, i) => m.set(maskKeeping(t.row, t.keep), i * length));
  const pieces = new Map<number, boolean>();
  const done = todo.map((t) => greedyDone(backend, t.p, t.ids, pieces));
  const pad = backend.padTokenId;
  try {
    while (done.some((d) => !d)) {
      const drafts = todo.map((t, i) => (done[i] || !t.drafting ? [] : t.draft.slice(t.ids.length, t.p.cap - 1)));
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

async function scoreBatch(backend: ModelBackend, batch: Prepared[], memory: MemoryModel, shortcut: boolean, results: RawItemResult[]): Promise<number> {
  const scored = await scoreContinuations(
    backend,
    // The argmax after the target is read only to prove a greedy output that has no end token.
    batch.map((p) => ({ contextIds: p.contextIds, continuations: [p.targetIds], scoreAfter: shortcut && !p.item.endToken })),
    memory,
    shortcut,
  );
  const needGeneration: Prepared[] = [];
  const todo: Pending[] = [];
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
        todo.push({
          row: r,
          p,
          keep,
          ids: [...p.targetIds.slice(0, keep), keep < p.targetIds.length ? s.argmax[keep] : s.nextArgmax],
          draft: s.argmax,
          drafting: keep + 1 < s.argmax.length,
        });
      }
    });
    if (todo.length > 0) await continueGreedy(backend, scored.cache!, scored.maskKeeping, todo);
  } finally {
    if (scored.cache) backend.disposeCache(scored.cache);
  }
  let tokens = batch.reduce((s, p) => s + p.contextIds.length + p.targetIds.length, 0);
  for (const t of todo) {
    const out = trimGreedyOutput(t.ids, t.p.cap, backend.eosTokenIds, t.p.item.stop, (ids) => backend.decode(ids));
    results[t.p.index].outputTokenIds = out.ids;
    results[t.p.index].outputText = out.text;
    tokens += t.ids.length - t.keep;
  }
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
  return tokens;
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
  // A row needs its context, its target and up to `cap` generated tokens of cache.
  const plan = (entries: Prepared[], m: MemoryModel) =>
    planRowBatches(entries, () => 1, (p) => p.contextIds.length + p.cap, (p) => 1 + p.targetIds.length, m);
  await runWithinBudget(
    prepared,
    memory,
    plan,
    async (batch, m) => {
      tokens += await scoreBatch(backend, batch, m, shortcut, results);
      done += batch.length;
      options.onProgress?.({ modelId, itemsDone: done, itemsTotal: items.length, tokensProcessed: tokens, elapsedMs: Date.now() - t0 });
      await options.onBatch?.(batch.map((p) => results[p.index]));
    },
    options.signal,
  );
  return results;
}
