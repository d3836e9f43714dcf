/** The scoring engine on the real runtime: batching, the generation shortcut, bad inputs. */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ladderModelId, modelsByScale } from '../../src/lib/catalog/ladder.ts';
import { CancelledError, EngineError, ModelLoadError } from '../../src/lib/engine/errors.ts';
import { createTransformersEngine, estimateParams, SINGLE_THREAD_BELOW_PARAMS } from '../../src/lib/engine/transformers-backend.ts';
import type { LoadedModel, RawItemResult } from '../../src/lib/engine/types.ts';
import type { ModelRef } from '../../src/lib/spec/schema.ts';
import { generateArithmeticItems } from '../../src/lib/tasks/arithmetic.ts';
import type { GenerationItem } from '../../src/lib/tasks/types.ts';
import { createNodeEngine, loadLadder, MODELS_DIR } from '../../src/cli/node-engine.ts';

const ladder = await loadLadder('arith');
const ref = (id: string): ModelRef => ({ id, source: 'bundled', revision: null, dtype: 'fp32', device: 'cpu' });
const items = generateArithmeticItems({ kind: 'arithmetic', operation: 'add', digits: [1, 2, 3, 4, 5], perVariant: 12, seed: 11, kShot: 0, template: 'arith-plain' });
// Same problems without the end token in the target: the shortcut must then prove that the
// token after the target stops generation.
const noEndToken: GenerationItem[] = items.slice(0, 30).map((i) => ({ ...i, id: `${i.id}-noeos`, endToken: false }));

function comparable(r: RawItemResult) {
  const { generated: _generated, targetLogprobs, ...rest } = r;
  return { ...rest, targetLogprobs: targetLogprobs.map((x) => Math.round(x * 1e5) / 1e5) };
}

describe.each(modelsByScale(ladder).filter((_, i, all) => i === 0 || i === Math.floor(all.length / 2) || i === all.length - 1).map((m) => [ladderModelId(ladder, m)]))(
  'engine on %s',
  (modelId) => {
    let model: LoadedModel;
    beforeAll(async () => {
      model = await createNodeEngine().load(ref(modelId));
    });
    afterAll(() => model?.dispose());

    it('batched equals unbatched', async () => {
      const batched = await model.score(items, { maxBatchSize: 16 });
      const single = await model.score(items, { maxBatchSize: 1 });
      batched.forEach((b, i) => {
        const s = single[i];
        expect(b.outputTokenIds).toEqual(s.outputTokenIds);
        expect(b.targetIsArgmax).toEqual(s.targetIsArgmax);
        b.targetLogprobs.forEach((lp, j) => expect(Math.abs(lp - s.targetLogprobs[j])).toBeLessThan(1e-5));
      });
    });

    it('the generation shortcut gives the same results as always generating', async () => {
      const all = [...items, ...noEndToken];
      const fast = await model.score(all, { shortcut: true });
      const slow = await model.score(all, { shortcut: false });
      expect(slow.every((r) => r.generated)).toBe(true);
      expect(fast.map(comparable)).toEqual(slow.map(comparable));
    });

    it('a tiny logits budget shrinks batches without changing results', async () => {
      // A 1-byte budget runs one row and one column per call (through the key/value cache): the
      // same outputs, log-probs equal up to float32 rounding of the other call shapes.
      const small = await model.score(items.slice(0, 20), { logitsBudgetBytes: 1 });
      const big = await model.score(items.slice(0, 20), { maxBatchSize: 20 });
      small.forEach((s, i) => {
        const { targetLogprobs: sl, ...se } = comparable(s);
        const { targetLogprobs: bl, ...be } = comparable(big[i]);
        expect(se).toEqual(be);
        sl.forEach((x, j) => expect(Math.abs(x - bl[j])).toBeLessThanOrEqual(2e-5)); // rounded values: 1e-5 + 1e-5
      });
    });
  },
);

describe('engine progress, cancellation and bad input', () => {
  let model: LoadedModel;
  const smallest = modelsByScale(ladder)[0];
  beforeAll(async () => {
    model = await createNodeEngine().load(ref(ladderModelId(ladder, smallest)));
  });
  afterAll(() => model?.dispose());

  it('reports progress per batch and stops when cancelled', async () => {
    const seen: number[] = [];
    const controller = new AbortController();
    const run = model.score(items, {
      maxBatchSize: 4,
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.itemsDone);
        expect(p.tokensProcessed).toBeGreaterThan(0);
        if (p.itemsDone >= 8) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(seen).toEqual([4, 8]);
  });

  it('refuses an empty target and an overlong item with actionable errors', async () => {
    const bad: GenerationItem = { ...items[0], id: 'empty', target: '' };
    await expect(model.score([bad])).rejects.toThrow(/empty target/);
    const long: GenerationItem = { ...items[0], id: 'long', prompt: '1'.repeat(30) + '+1=' };
    await expect(model.score([long])).rejects.toThrow(/reads at most 24/);
    await expect(model.score([items[0]], { greedyMargin: 0 })).rejects.toBeInstanceOf(EngineError);
  });

  it('a model folder with a missing file is a ModelLoadError naming the model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emergence-missing-'));
    try {
      cpSync(join(MODELS_DIR, 'arith', smallest.id), join(dir, 'lab', 'no-weights'), { recursive: true });
      rmSync(join(dir, 'lab', 'no-weights', 'onnx', 'model.onnx'));
      const engine = createTransformersEngine({ localModelPath: dir, remoteHost: null });
      const err = await engine.load(ref('lab/no-weights')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelLoadError);
      expect((err as Error).message).toMatch(/^lab\/no-weights: could not be loaded: a model file is missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an ONNX graph without attention_mask is refused with the missing input named', async () => {
    const engine = createTransformersEngine({ localModelPath: join(import.meta.dirname, '..', 'fixtures', 'models'), remoteHost: null });
    const err = await engine.load(ref('broken/no-attention-mask')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/missing: attention_mask/);
  });

  it('estimates each rung\'s parameters within 2% of the ladder manifest (the thread rule rests on it)', () => {
    for (const m of ladder.models) {
      const cfg = JSON.parse(readFileSync(join(MODELS_DIR, 'arith', m.id, 'config.json'), 'utf8')) as Record<string, unknown>;
      const estimate = estimateParams(cfg)!;
      expect(Math.abs(estimate - m.params) / m.params, m.id).toBeLessThan(0.02);
      // Rungs up to arith-l3-d64 run onnxruntime-node on one thread per operator, the 4-layer rungs on the runtime's default.
      expect(estimate < SINGLE_THREAD_BELOW_PARAMS, m.id).toBe(m.params < 300_000);
    }
    // GPT-2 small (124M) keeps the runtime's threads; a config without sizes gives no estimate.
    expect(estimateParams({ vocab_size: 50257, n_embd: 768, n_layer: 12, n_positions: 1024 })! / 124e6).toBeCloseTo(1, 1);
    expect(estimateParams({ model_type: 'unknown' })).toBeNull();
  });
});
