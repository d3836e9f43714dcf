/** Bundled ladder manifests: the schema's optional training fields, the axis, the default models. */
import { describe, expect, it } from 'vitest';
import {
  BUNDLED_LADDERS,
  bundledLadderOf,
  CatalogError,
  defaultModels,
  defaultSpec,
  ladderPositionOf,
  ladderSelectionProblem,
  modelsByScale,
  trainingRunOf,
  trainingRuns,
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
  });

  it('groups checkpoints by training run and defaults to the largest run, one line along compute', () => {
    const runs = trainingRuns(steps);
    expect(runs.map((r) => r.run)).toEqual(['arith-l2-d36', 'arith-l2-d44']);
    expect(runs.every((r) => r.models.length === 9 && r.models.every((m) => m.params === r.params))).toBe(true);
    expect(runs[1].models.map((m) => m.trainSteps)).toEqual([125, 250, 500, 1000, 2000, 3000, 4000, 6000, 8000]);
    // No defaultModels in the manifest: the largest run's checkpoints, in compute order.
    expect(steps.defaultModels).toBeUndefined();
    const spec = defaultSpec(steps, 'wasm');
    expect(spec.models.map((m) => m.id)).toEqual(runs[1].models.map((m) => `arith-steps/${m.id}`));
    expect(ladderSelectionProblem(steps, spec.models.map((m) => m.id))).toBeNull();
    // On the size ladder each rung is its own run; its listed defaults stay.
    expect(trainingRunOf(arith, arith.models[0])).toBe(arith.models[0].id);
    expect(defaultModels(arith).map((m) => m.id).sort()).toEqual([...arith.defaultModels!].sort());
  });

  it('refuses an experiment mixing two training runs of the checkpoint ladder, not one of the size ladder', () => {
    const mixed = ['arith-steps/arith-l2-d36-s8000', 'arith-steps/arith-l2-d44-s125'];
    expect(ladderSelectionProblem(steps, mixed)).toMatch(/one model: arith-l2-d36 and arith-l2-d44 are different training runs/);
    expect(ladderSelectionProblem(steps, mixed.slice(0, 1))).toBeNull();
    expect(ladderSelectionProblem(arith, arith.models.map((m) => `arith/${m.id}`))).toBeNull();
  });

  it('records a model\'s position: axis, value on it and training run', () => {
    expect(ladderPositionOf(steps, 'arith-steps/arith-l2-d44-s500')).toEqual({ axis: 'compute', value: steps.models.find((m) => m.id === 'arith-l2-d44-s500')!.compute, run: 'arith-l2-d44' });
    expect(ladderPositionOf(arith, 'arith/arith-l2-d48')).toEqual({ axis: 'params', value: 58608, run: 'arith-l2-d48' });
    expect(ladderPositionOf(arith, 'arith-steps/arith-l2-d44-s500')).toBeNull();
  });

  it('finds the ladder of a spec from its bundled model ids (no ladder field needed)', () => {
    expect(bundledLadderOf([{ id: 'arith-steps/arith-l2-d36-s125', source: 'bundled' }])).toBe('arith-steps');
    expect(bundledLadderOf([{ id: 'Xenova/pythia-14m', source: 'hub' }, { id: 'arith/arith-l1-d12', source: 'bundled' }])).toBe('arith');
    expect(bundledLadderOf([{ id: 'Xenova/pythia-14m', source: 'hub' }])).toBeNull();
    expect(bundledLadderOf([{ id: 'other/x', source: 'bundled' }])).toBeNull();
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
    const [a, b] = manifest().models;
    const m = parseLadderManifest(manifest({ axis: 'compute' }, [{ ...a, id: 'a-s2' }, { ...b, id: 'b-s1' }]));
    expect(modelsByScale(m).map((x) => x.id)).toEqual(['a-s2', 'b-s1']);
  });

  it('refuses checkpoints of a compute ladder not named "<model>-s<step>" (their training run comes from the name)', () => {
    expect(() => parseLadderManifest(manifest({ axis: 'compute' }))).toThrow(/not named "<model>-s<step>": a, b/);
    const [a] = manifest().models;
    expect(() => parseLadderManifest(manifest({ axis: 'compute' }, [{ ...a, id: 'a-s3' }]))).toThrow(/: a-s3/);
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
