/**
 * The real inference path (transformers.js + onnxruntime-node, CPU, fp32) against the
 * bundled ladder's PyTorch reference outputs (static/models/arith/<id>/golden.json).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ladderModelId, type LadderManifest } from '../../src/lib/catalog/ladder.ts';
import type { LoadedModel } from '../../src/lib/engine/types.ts';
import { createNodeEngine, loadLadder } from '../../src/cli/node-engine.ts';
import { goldenAsItems, loadGolden } from '../helpers/golden.ts';

const ladder: LadderManifest = await loadLadder('arith');

describe.each(ladder.models.map((m) => [m.id]))('%s reproduces its PyTorch golden file', (modelFolder) => {
  let model: LoadedModel;
  const golden = loadGolden(modelFolder);
  beforeAll(async () => {
    const m = ladder.models.find((x) => x.id === modelFolder)!;
    model = await createNodeEngine().load({ id: ladderModelId(ladder, m), source: 'bundled', revision: null, dtype: 'fp32', device: 'cpu' });
  });
  afterAll(() => model?.dispose());

  it('target log-probs within 1e-4, greedy outputs and exact match identical (batched)', async () => {
    const items = goldenAsItems(golden.items);
    const results = await model.score(items, { greedyMargin: golden.greedy_margin, maxBatchSize: 32 });
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
