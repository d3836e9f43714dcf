/** Bundled ladder manifests: the schema's optional training fields, the axis, the default models. */
import { describe, expect, it } from 'vitest';
import {
  BUNDLED_LADDERS,
  CatalogError,
  defaultSpec,
  modelsByScale,
  parseLadderManifest,
  scaleOf,
  scaleOfBundled,
} from '../../../src/lib/catalog/ladder.ts';
import arithJson from '../../../static/models/arith/ladder.json';
import stepsJson from '../../../static/models/arith-steps/ladder.json';

const arith = parseLadderManifest(arithJson);
const steps = parseLadderManifest(stepsJson);

function manifest(patch: Record<string, unknown> = {}, models?: Record<string, unknown>[]) {
  return {
    format: 'emergence-lab/ladder',
    version: 1,
    id: 'x',
    name: 'x',
    task: 'add',
    template: { id: 'arith-plain', prompt: '{a}+{b}=', target: '{answer}', endToken: '<eos>' },
    digits: [1, 5],
    greedyMargin: 4,
    models: models ?? [
      { id: 'a', params: 10, nonEmbeddingParams: 5, layers: 1, dModel: 4, heads: 1, trainTokens: 100, trainSteps: 2, compute: 6000, finalTrainLoss: 1 },
      { id: 'b', params: 20, nonEmbeddingParams: 9, layers: 1, dModel: 8, heads: 1, trainTokens: 50, trainSteps: 1, compute: 6000, finalTrainLoss: 1 },
    ],
    ...patch,
  };
}

describe('bundled ladders', () => {
  it('lists the size ladder first and the training-compute ladder', () => {
    expect(BUNDLED_LADDERS.map((l) => l.id)).toEqual(['arith', 'arith-steps']);
    expect(arith.axis).toBe('params');
    expect(steps.axis).toBe('compute');
  });

  it('keeps the default experiment on the listed default models, in order of size', () => {
    const spec = defaultSpec(arith, 'wasm');
    expect(arith.defaultModels).toBeDefined();
    expect(spec.models.map((m) => m.id.split('/')[1]).sort()).toEqual([...arith.defaultModels!].sort());
    expect(spec.models.length).toBeLessThan(arith.models.length);
    const params = spec.models.map((m) => arith.models.find((x) => `arith/${x.id}` === m.id)!.params);
    expect(params).toEqual([...params].sort((a, b) => a - b));
  });

  it('orders a compute ladder by compute and reports compute as its scale', () => {
    const xs = modelsByScale(steps).map((m) => scaleOf(steps, m));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    const first = steps.models[0];
    expect(scaleOfBundled(steps, `arith-steps/${first.id}`)).toBe(first.compute);
    expect(scaleOfBundled(arith, `arith/${arith.models[0].id}`)).toBe(arith.models[0].params);
    expect(scaleOfBundled(arith, 'arith/nope')).toBeNull();
    // A checkpoint ladder without a default list runs every checkpoint.
    expect(defaultSpec(steps, 'wasm').models).toHaveLength(steps.models.length);
  });
});

describe('parseLadderManifest', () => {
  it('accepts a manifest without the optional fields (axis defaults to params)', () => {
    const m = parseLadderManifest(manifest({}, [{ id: 'a', params: 10, nonEmbeddingParams: 5, layers: 1, dModel: 4, heads: 1, trainTokens: 1, finalTrainLoss: 1 }]));
    expect(m.axis).toBe('params');
    expect(m.defaultModels).toBeUndefined();
    expect(m.models[0].compute).toBeUndefined();
  });

  it('breaks compute ties by parameters', () => {
    const m = parseLadderManifest(manifest({ axis: 'compute' }));
    expect(modelsByScale(m).map((x) => x.id)).toEqual(['a', 'b']);
  });

  it('refuses default models it does not list, repeated ids, and compute ladders without compute', () => {
    expect(() => parseLadderManifest(manifest({ defaultModels: ['a', 'c'] }))).toThrow(/names default models it does not list: c/);
    expect(() => parseLadderManifest(manifest({ defaultModels: [] }))).toThrow(CatalogError);
    expect(() => parseLadderManifest(manifest({ axis: 'tokens' }))).toThrow(/axis/);
    const base = manifest().models;
    expect(() => parseLadderManifest(manifest({}, [base[0], base[0]]))).toThrow(/lists a model id twice/);
    const noCompute = base.map((m) => ({ ...m, compute: undefined }));
    expect(() => parseLadderManifest(manifest({ axis: 'compute' }, noCompute))).toThrow(/without trainSteps or compute: a, b/);
    expect(() => parseLadderManifest(manifest({}, [{ ...base[0], compute: -1 }]))).toThrow(CatalogError);
  });
});
