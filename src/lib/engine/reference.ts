/**
 * The reference scorer: full-sequence teacher forcing (logits of every position of every row)
 * and transformers.js generate() for greedy outputs. The engine's cached scorer (scoring.ts)
 * must reproduce it exactly (tests/node/engine-cached.test.ts); the benchmarks use it as the
 * previous engine's numbers. Not used by the app.
 */
import type { GenerationItem } from '../tasks/types.ts';
import type { ModelBackend } from './backend.ts';
import { planBatches } from './batching.ts';
import { CancelledError, EngineError } from './errors.ts';
import { argmaxAt, logprobAndArgmax } from './logits.ts';
import { trimGreedyOutput } from './tokenize.ts';
import { prepareItems, provenGreedyIds, type Prepared, type TeacherForced } from './scoring.ts';
import {
  DEFAULT_GREEDY_MARGIN,
  DEFAULT_LOGITS_BUDGET_BYTES,
  DEFAULT_MAX_BATCH,
  type RawItemResult,
  type ScoreOptions,
} from './types.ts';

function checkCancelled(signal?: AbortSignal) {
  if (signal?.aborted) throw new CancelledError();
}

async function teacherForce(backend: ModelBackend, batch: Prepared[]): Promise<TeacherForced[]> {
  const rows = batch.map((p) => [...p.contextIds, ...p.targetIds]);
  const logits = await backend.forward(rows);
  return batch.map((p, r) => {
    const start = p.contextIds.length - 1;
    const logprobs: number[] = [];
    const isArgmax: boolean[] = [];
    p.targetIds.forEach((tok, j) => {
      const { logprob, argmax } = logprobAndArgmax(logits, r, start + j, tok);
      logprobs.push(logprob);
      isArgmax.push(argmax === tok);
    });
    const last = p.contextIds.length + p.targetIds.length - 1;
    return { logprobs, isArgmax, nextArgmax: p.item.endToken ? null : argmaxAt(logits, r, last) };
  });
}

export async function scoreItemsFullSequence(backend: ModelBackend, items: GenerationItem[], options: ScoreOptions = {}, modelId = ''): Promise<RawItemResult[]> {
  const margin = options.greedyMargin ?? DEFAULT_GREEDY_MARGIN;
  if (!Number.isInteger(margin) || margin < 1) throw new EngineError(`greedyMargin must be a whole number >= 1, got ${margin}.`);
  const maxBatch = options.maxBatchSize ?? DEFAULT_MAX_BATCH;
  const budget = options.logitsBudgetBytes ?? DEFAULT_LOGITS_BUDGET_BYTES;
  const shortcut = options.shortcut ?? true;
  const prepared = prepareItems(backend, items, margin);
  const results: RawItemResult[] = new Array(items.length);
  const t0 = Date.now();
  let tokens = 0;
  let done = 0;
  const report = () =>
    options.onProgress?.({ modelId, itemsDone: done, itemsTotal: items.length, tokensProcessed: tokens, elapsedMs: Date.now() - t0 });

  const batches = planBatches(prepared, (p) => p.contextIds.length + p.targetIds.length, backend.vocabSize, maxBatch, budget);
  for (const batch of batches) {
    checkCancelled(options.signal);
    const tfs = await teacherForce(backend, batch);
    tokens += batch.reduce((s, p) => s + p.contextIds.length + p.targetIds.length, 0);
    const needGeneration: Prepared[] = [];
    batch.forEach((p, r) => {
      const proven = shortcut ? provenGreedyIds(backend, p, tfs[r]) : null;
      if (proven === null) needGeneration.push(p);
      const out = proven ? trimGreedyOutput(proven, p.cap, backend.eosTokenIds, p.item.stop, (ids) => backend.decode(ids)) : null;
      results[p.index] = {
        itemId: p.item.id,
        promptTokenCount: p.contextIds.length,
        targetTokenIds: p.targetIds,
        targetLogprobs: tfs[r].logprobs,
        targetIsArgmax: tfs[r].isArgmax,
        outputTokenIds: out?.ids ?? [],
        outputText: out?.text ?? '',
        generated: proven === null,
      };
    });
    if (needGeneration.length > 0) {
      checkCancelled(options.signal);
      const cap = Math.max(...needGeneration.map((p) => p.cap));
      const generated = await backend.generateGreedy(needGeneration.map((p) => p.contextIds), cap);
      tokens += needGeneration.reduce((s, p) => s + p.contextIds.length, 0) + needGeneration.length * cap;
      needGeneration.forEach((p, r) => {
        const out = trimGreedyOutput(generated[r], p.cap, backend.eosTokenIds, p.item.stop, (ids) => backend.decode(ids));
        results[p.index].outputTokenIds = out.ids;
        results[p.index].outputText = out.text;
      });
    }
    done += batch.length;
    report();
    await options.onBatch?.(batch.map((p) => results[p.index]));
  }
  return results;
}
