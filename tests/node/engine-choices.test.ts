/** Log-likelihood (multiple-choice) requests on the real runtime and the bundled ladder. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ladderModelId, modelsByScale } from '../../src/lib/catalog/ladder.ts';
import { CancelledError, EngineError } from '../../src/lib/engine/errors.ts';
import type { ChoiceRequest, LoadedModel, RawChoiceResult } from '../../src/lib/engine/types.ts';
import type { ModelRef } from '../../src/lib/spec/schema.ts';
import { generateArithmeticItems } from '../../src/lib/tasks/arithmetic.ts';
import type { GenerationItem } from '../../src/lib/tasks/types.ts';
import { createNodeEngine, loadLadder } from '../../src/cli/node-engine.ts';

const ladder = await loadLadder('arith');
const ref = (id: string): ModelRef => ({ id, source: 'bundled', revision: null, dtype: 'fp32', device: 'cpu' });
const problems = generateArithmeticItems({ kind: 'arithmetic', operation: 'add', digits: [1, 2, 3, 4], perVariant: 6, seed: 3, kShot: 0, template: 'arith-plain' });

// The true sum among plausible wrong ones (different token lengths on purpose), and the end
// token text-free: choices are plain continuations.
const requests: ChoiceRequest[] = problems.map((p, i) => {
  const sum = Number(p.target);
  const wrong = [sum + 1, sum + 10, Math.max(0, sum - 1), sum * 10 + (i % 10)].filter((x) => x !== sum);
  return { itemId: `mc-${i}`, prompt: p.prompt, choices: [String(sum), ...wrong.slice(0, 1 + (i % 4)).map(String)] };
});

// Relative to the magnitude beyond 1: a wrong choice's log-likelihood of -30 carries float32's
// ~1e-7 relative rounding, which other call shapes (batch, split calls) change.
const near = (x: number, y: number, tol: number) => expect(Math.abs(x - y)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(y)));

function close(a: RawChoiceResult[], b: RawChoiceResult[], tol: number) {
  expect(a.map((r) => r.itemId)).toEqual(b.map((r) => r.itemId));
  a.forEach((r, i) => {
    expect(r.choiceTokenIds).toEqual(b[i].choiceTokenIds);
    expect(r.choiceIsGreedy).toEqual(b[i].choiceIsGreedy);
    expect(r.promptTokenCount).toBe(b[i].promptTokenCount);
    r.choiceLogprobs.forEach((lp, c) => near(lp, b[i].choiceLogprobs[c], tol));
    r.choiceTokenLogprobs.forEach((lps, c) => lps.forEach((lp, j) => near(lp, b[i].choiceTokenLogprobs[c][j], tol)));
  });
}

const rungs = modelsByScale(ladder).filter((_, i, all) => i === 0 || i === all.length - 1);
describe.each(rungs.map((m) => [ladderModelId(ladder, m)]))('choices on %s', (modelId) => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await createNodeEngine().load(ref(modelId));
  });
  afterAll(() => model?.dispose());

  it("each choice's log-likelihood is the sum of its teacher-forced token log-probs, scored separately", async () => {
    const results = await model.scoreChoices(requests, { maxBatchSize: 16 });
    expect(results.map((r) => r.itemId)).toEqual(requests.map((r) => r.itemId));
    for (const [i, req] of requests.entries()) {
      const res = results[i];
      expect(res.choiceLogprobs).toHaveLength(req.choices.length);
      // The same continuation as a generation target without an end token, one item at a time.
      const single: GenerationItem[] = req.choices.map((c, k) => ({ ...problems[i], id: `${req.itemId}-${k}`, target: c, endToken: false }));
      const tf = await model.score(single, { maxBatchSize: 1 });
      tf.forEach((t, k) => {
        expect(res.choiceTokenIds[k]).toEqual(t.targetTokenIds);
        expect(res.choiceIsGreedy[k]).toBe(t.targetIsArgmax.every(Boolean));
        const sum = t.targetLogprobs.reduce((a, b) => a + b, 0);
        // Each token within 1e-5 (the layouts differ: a shared prefix's cache, gathered rows), so a sum of n within n * 1e-5.
        expect(Math.abs(res.choiceLogprobs[k] - sum)).toBeLessThan(1e-5 * t.targetLogprobs.length);
        expect(res.choiceLogprobs[k]).toBeLessThan(0);
      });
      expect(res.promptTokenCount).toBe(tf[0].promptTokenCount);
    }
  });

  it('batching choices equals one choice at a time, and a tiny budget gives the same numbers', async () => {
    const batched = await model.scoreChoices(requests, { maxBatchSize: 32 });
    const single = await model.scoreChoices(requests, { maxBatchSize: 1 });
    const tiny = await model.scoreChoices(requests, { logitsBudgetBytes: 1 });
    close(batched, single, 1e-5);
    close(tiny, single, 1e-5);
  });
});

describe('choice requests: progress, cancellation, bad input', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await createNodeEngine().load(ref(ladderModelId(ladder, modelsByScale(ladder)[0])));
  });
  afterAll(() => model?.dispose());

  it('progress counts items, onBatch gets every item once, and the signal cancels', async () => {
    const seen: number[] = [];
    const delivered: string[] = [];
    await model.scoreChoices(requests, { maxBatchSize: 4, onProgress: (p) => seen.push(p.itemsDone), onBatch: (rs) => void delivered.push(...rs.map((r) => r.itemId)) });
    expect(seen.at(-1)).toBe(requests.length);
    expect(seen.every((x, i) => i === 0 || x >= seen[i - 1])).toBe(true);
    expect([...delivered].sort()).toEqual(requests.map((r) => r.itemId).sort());
    const controller = new AbortController();
    const run = model.scoreChoices(requests, { maxBatchSize: 4, signal: controller.signal, onProgress: () => controller.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
  });

  it('an overlong prompt+choice names the item and the choice; empty choices are refused', async () => {
    const long: ChoiceRequest = { itemId: 'too-long', prompt: '1+1=', choices: ['2', '1'.repeat(40)] };
    const err = await model.scoreChoices([requests[0], long]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as Error).message).toMatch(/too-long, choice 1/);
    await expect(model.scoreChoices([{ itemId: 'none', prompt: '1+1=', choices: [] }])).rejects.toThrow(/none has no choices/);
    await expect(model.scoreChoices([{ itemId: 'blank', prompt: '1+1=', choices: ['2', ''] }])).rejects.toThrow(/blank: Choice 1 is empty/);
  });
});
