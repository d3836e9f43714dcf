/**
 * Log-likelihood requests (lm-evaluation-harness `loglikelihood`, as used by `multiple_choice`
 * tasks): for each (prompt, choice) the summed log-prob of the choice's tokens given the prompt,
 * and whether every one of them is the argmax (`is_greedy`). The prompt of an item is encoded
 * once for all its choices and runs once through the model (its key/value cache is repeated for
 * each choice, continuations.ts); items are batched under the same memory budget.
 */
import type { ModelBackend } from './backend.ts';
import { planRowBatches, type MemoryModel } from './batching.ts';
import { scoreContinuations, type ContinuationGroup } from './continuations.ts';
import { EngineError } from './errors.ts';
import { runWithinBudget } from './memory.ts';
import { memoryModelOf } from './scoring.ts';
import { encodeContinuations } from './tokenize.ts';
import {
  type ChoiceRequest,
  type ChoiceScoreOptions,
  type RawChoiceResult,
} from './types.ts';

export function prepareChoices(backend: ModelBackend, items: ChoiceRequest[]): { groups: ContinuationGroup[]; promptTokenCounts: number[] } {
  const groups: ContinuationGroup[] = [];
  const promptTokenCounts: number[] = [];
  items.forEach((req) => {
    if (req.choices.length === 0) throw new EngineError(`Item ${req.itemId} has no choices: there is nothing to score.`);
    let encoded: ReturnType<typeof encodeContinuations>;
    try {
      encoded = encodeContinuations((t) => backend.encode(t), req.prompt, req.choices);
    } catch (err) {
      throw new EngineError(`Item ${req.itemId}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const limit = backend.maxSequenceLength;
    const eos = backend.eosTokenIds[0];
    if (req.endToken && eos === undefined) throw new EngineError(`Item ${req.itemId} needs an end token after each choice but the model's tokenizer has none.`);
    // Models trained with an end token (the bundled ladder) score each choice as a complete answer.
    const continuations = encoded.continuationIds.map((ids) => (req.endToken ? [...ids, eos] : ids));
    continuations.forEach((targetIds, choice) => {
      const total = encoded.contextIds.length + targetIds.length;
      if (limit !== null && total > limit) {
        throw new EngineError(
          `Item ${req.itemId}, choice ${choice}: prompt and choice need ${total} tokens but this model reads at most ${limit}. Use a shorter prompt (fewer k-shot examples) or shorter choices.`,
        );
      }
    });
    groups.push({ contextIds: encoded.contextIds, continuations });
    promptTokenCounts.push(encoded.contextIds.length);
  });
  return { groups, promptTokenCounts };
}

export async function scoreChoiceItems(backend: ModelBackend, items: ChoiceRequest[], options: ChoiceScoreOptions = {}, modelId = ''): Promise<RawChoiceResult[]> {
  const memory = memoryModelOf(backend, options);
  const { groups, promptTokenCounts } = prepareChoices(backend, items);
  const results: RawChoiceResult[] = new Array(items.length);
  const t0 = Date.now();
  let tokens = 0;
  let done = 0;
  const entries = groups.map((g, index) => ({ index, g, longest: Math.max(...g.continuations.map((c) => c.length)) }));
  type Entry = (typeof entries)[number];
  const plan = (list: Entry[], m: MemoryModel) =>
    planRowBatches(list, (e) => e.g.continuations.length, (e) => e.g.contextIds.length + e.longest, (e) => 1 + e.longest, m);
  await runWithinBudget(
    entries,
    memory,
    plan,
    async (batch, m) => {
      const { scores } = await scoreContinuations(backend, batch.map((e) => e.g), m, false);
      batch.forEach((e, b) => {
        const conts = e.g.continuations;
        results[e.index] = {
          itemId: items[e.index].itemId,
          promptTokenCount: promptTokenCounts[e.index],
          choiceTokenIds: conts,
          choiceTokenLogprobs: scores[b].map((s) => s.logprobs),
          // lm-eval sums the continuation's log-probs in order (resps[i][0]).
          choiceLogprobs: scores[b].map((s) => s.logprobs.reduce((a, x) => a + x, 0)),
          choiceIsGreedy: scores[b].map((s, c) => conts[c].every((t, j) => s.argmax[j] === t)),
        };
        tokens += e.g.contextIds.length + conts.reduce((a, c) => a + c.length, 0);
      });
      done += batch.length;
      options.onProgress?.({ modelId, itemsDone: done, itemsTotal: items.length, tokensProcessed: tokens, elapsedMs: Date.now() - t0 });
      await options.onBatch?.([...batch].sort((x, y) => x.index - y.index).map((e) => results[e.index]));
    },
    options.signal,
  );
  return results;
}
