/**
 * Log-likelihood requests (lm-evaluation-harness `loglikelihood`, as used by `multiple_choice`
 * tasks): for each (prompt, choice) the summed log-prob of the choice's tokens given the prompt,
 * and whether every one of them is the argmax (`is_greedy`). The prompt of an item is encoded
 * once for all its choices; rows of every item are batched together under the same budget.
 */
import type { ModelBackend } from './backend.ts';
import { planBatches } from './batching.ts';
import { CancelledError, EngineError } from './errors.ts';
import { logprobAndArgmax } from './logits.ts';
import { encodeContinuations } from './tokenize.ts';
import {
  DEFAULT_LOGITS_BUDGET_BYTES,
  DEFAULT_MAX_BATCH,
  type ChoiceRequest,
  type ChoiceScoreOptions,
  type RawChoiceResult,
} from './types.ts';

/** One row of a forward pass: one choice of one item. */
export interface ChoiceRow {
  item: number;
  choice: number;
  contextIds: number[];
  targetIds: number[];
}

export function prepareChoices(backend: ModelBackend, items: ChoiceRequest[]): { rows: ChoiceRow[]; promptTokenCounts: number[] } {
  const rows: ChoiceRow[] = [];
  const promptTokenCounts: number[] = [];
  items.forEach((req, item) => {
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
    encoded.continuationIds.forEach((ids, choice) => {
      const targetIds = req.endToken ? [...ids, eos] : ids;
      const total = encoded.contextIds.length + targetIds.length;
      if (limit !== null && total > limit) {
        throw new EngineError(
          `Item ${req.itemId}, choice ${choice}: prompt and choice need ${total} tokens but this model reads at most ${limit}. Use a shorter prompt (fewer k-shot examples) or shorter choices.`,
        );
      }
      rows.push({ item, choice, contextIds: encoded.contextIds, targetIds });
    });
    promptTokenCounts.push(encoded.contextIds.length);
  });
  return { rows, promptTokenCounts };
}

export async function scoreChoiceItems(backend: ModelBackend, items: ChoiceRequest[], options: ChoiceScoreOptions = {}, modelId = ''): Promise<RawChoiceResult[]> {
  const maxBatch = options.maxBatchSize ?? DEFAULT_MAX_BATCH;
  const budget = options.logitsBudgetBytes ?? DEFAULT_LOGITS_BUDGET_BYTES;
  const { rows, promptTokenCounts } = prepareChoices(backend, items);
  const results: RawChoiceResult[] = items.map((req, i) => ({
    itemId: req.itemId,
    promptTokenCount: promptTokenCounts[i],
    choiceTokenIds: req.choices.map(() => []),
    choiceTokenLogprobs: req.choices.map(() => []),
    choiceLogprobs: req.choices.map(() => 0),
    choiceIsGreedy: req.choices.map(() => false),
  }));
  const pending = items.map((req) => req.choices.length);
  const t0 = Date.now();
  let tokens = 0;
  let done = 0;

  const batches = planBatches(rows, (r) => r.contextIds.length + r.targetIds.length, backend.vocabSize, maxBatch, budget);
  for (const batch of batches) {
    if (options.signal?.aborted) throw new CancelledError();
    const logits = await backend.forward(batch.map((r) => [...r.contextIds, ...r.targetIds]));
    const finished: number[] = [];
    batch.forEach((row, r) => {
      const start = row.contextIds.length - 1;
      const lps: number[] = [];
      let greedy = true;
      row.targetIds.forEach((tok, j) => {
        const { logprob, argmax } = logprobAndArgmax(logits, r, start + j, tok);
        lps.push(logprob);
        greedy &&= argmax === tok;
      });
      const res = results[row.item];
      res.choiceTokenIds[row.choice] = row.targetIds;
      res.choiceTokenLogprobs[row.choice] = lps;
      res.choiceLogprobs[row.choice] = lps.reduce((a, b) => a + b, 0);
      res.choiceIsGreedy[row.choice] = greedy;
      tokens += row.contextIds.length + row.targetIds.length;
      if (--pending[row.item] === 0) finished.push(row.item);
    });
    done += finished.length;
    options.onProgress?.({ modelId, itemsDone: done, itemsTotal: items.length, tokensProcessed: tokens, elapsedMs: Date.now() - t0 });
    if (finished.length > 0) await options.onBatch?.(finished.sort((a, b) => a - b).map((i) => results[i]));
  }
  return results;
}
