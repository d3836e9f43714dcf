/**
 * The real inference path (transformers.js + onnxruntime-node, CPU, fp32) against every bundled
 * ladder's PyTorch reference outputs (static/models/<ladder>/<id>/golden.json): every rung of the
 * size ladder and every checkpoint of the training-compute ladder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_LADDERS, ladderModelId, type LadderManifest } from '../../src/lib/catalog/ladder.ts';
import type { LoadedModel } from '../../src/lib/engine/types.ts';
import { createNodeEngine, loadLadder } from '../../src/cli/node-engine.ts';
import { goldenAsItems, loadGolden } from '../helpers/golden.ts';

const ladders: LadderManifest[] = await Promise.all(BUNDLED_LADDERS.map((l) => loadLadder(l.id)));
const cases = ladders.flatMap((ladder) => ladder.models.map((m) => [`${ladder.id}/${m.id}`, ladder, m.id] as const));

describe('the bundled ladders', () => {
  it('are the size ladder and its training-compute ladder, with compute = 6·N·D on every model', () => {
    const [arith, steps] = ladders;
    expect(arith.axis).toBe('params');
    expect(steps.axis).toBe('compute');
    expect(arith.models.length).toBeGreaterThanOrEqual(13);
    expect(steps.models.length).toBeGreaterThanOrEqual(16);
    for (const ladder of ladders) for (const m of ladder.models) expect(m.compute).toBe(6 * m.params * m.trainTokens);
    // The last checkpoint of each model is that rung of the size ladder: same training, same golden outputs.
    const last = Math.max(...steps.models.map((m) => m.trainSteps ?? 0));
    for (const ck of steps.models.filter((m) => m.trainSteps === last)) {
      const rungId = ck.id.replace(/-s\d+$/, '');
      const rung = arith.models.find((m) => m.id === rungId);
      expect(rung, rungId).toBeDefined();
      expect(ck.trainTokens).toBe(rung!.trainTokens);
      expect(loadGolden(ck.id, steps.id)).toEqual(loadGolden(rungId, arith.id));
    }
  });
});

describe.each(cases)('%s reproduces its PyTorch golden file', (_name, ladder, modelFolder) => {
  let model: LoadedModel;
  const golden = loadGolden(modelFolder, ladder.id);
  beforeAll(async () => {
    const m = ladder.models.find((x) => x.id === modelFolder)!;
    model = await createNodeEngine().load({ id: ladderModelId(ladder, m), source: 'bundled', revision: null, dtype: 'fp32', device: 'cpu' });
  });
  afterAll(() => model?.dispose());

  // 32 rows (the default), 64 (the browser golden tests') and every item in one batch: rows of a
  // decoding batch finish at different calls, and a finished row must not run past the model's
  // last position while the others go on (64 rows of arith-l2-d36-s250 once asked for position 24 of 24).
  it.each([32, 64, 1000])('target log-probs within 1e-4, greedy outputs and exact match identical (batches of %i)', async (maxBatchSize) => {
    const items = goldenAsItems(golden.items);
    const results = await model.score(items, { greedyMargin: golden.greedy_margin, maxBatchSize });
    let maxDiff = 0;
    results.forEach((r, i) => {
      const g = golden.items[i];
      expect(r.targetTokenIds).toEqual(g.target_token_ids);
      r.targetLogprobs.forEach((lp, j) => (maxDiff = Math.max(maxDiff, Math.abs(lp - g.target_logprobs[j]))));
      expect(r.outputTokenIds, `greedy output of ${g.prompt}`).toEqual(g.greedy_token_ids);
      expect(r.outputText).toBe(g.greedy_text);
      expect(r.outputText.trim() === g.target).toBe(g.exact_match);
    });
    expect(maxDiff).toBeLessThan(1e-4);
    // The issue asks for at least 200 held-out items spanning every digit count.
    expect(golden.items.length).toBeGreaterThanOrEqual(200);
    expect(new Set(golden.items.map((g) => g.digits))).toEqual(new Set([1, 2, 3, 4, 5]));
  });
});
