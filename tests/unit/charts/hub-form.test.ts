import { describe, expect, it } from 'vitest';
import { HUB_CATALOG } from '../../../src/lib/catalog/hub-catalog.ts';
import { defaultSpec } from '../../../src/lib/catalog/ladder.ts';
import {
  checkForm,
  CUSTOM_LADDER,
  dtypeProblem,
  formFromSpec,
  withCustomModel,
  withHostChecks,
  withHubLadder,
  withLatestRevisions,
  withoutCustomModel,
  withSource,
  type CustomHubModel,
  type ExperimentForm,
} from '../../../src/lib/charts/form.ts';
import type { ExperimentSpec } from '../../../src/lib/spec/schema.ts';
import { testLadder } from './fixtures.ts';

const ladder = testLadder([['small', 90]]);
const SHA = '0123456789abcdef0123456789abcdef01234567';
const gpuF16 = { webgpu: true, shaderF16: true };
const gpu = { webgpu: true, shaderF16: false };
const wasmOnly = { webgpu: false, shaderF16: false };

const defaults = (): ExperimentForm => formFromSpec(defaultSpec(ladder, 'webgpu'));
const pythia = () => withSource(defaults(), 'hub');
const custom = (repoId: string, dtypes: [string, number][], params: number | null = 1000): CustomHubModel => ({
  repoId,
  sha: SHA,
  modelType: 'gpt2',
  params,
  paramsEstimated: false,
  dtypes: dtypes.map(([dtype, totalBytes]) => ({ dtype: dtype as never, totalBytes })),
});

describe('model source in the experiment form', () => {
  it('the first load stays the bundled default experiment, with the first catalog ladder ready for the Hub', () => {
    const form = defaults();
    expect(form.source).toBe('bundled');
    expect(form.hubLadder).toBe(HUB_CATALOG.ladders[0].id);
    expect(form.hubModels).toEqual(HUB_CATALOG.ladders[0].models.map((m) => m.repoId));
    expect(checkForm(form, ladder, gpuF16).spec).toEqual(defaultSpec(ladder, 'webgpu'));
  });

  it('a catalog ladder becomes Hub refs by scale with its template; auto picks one dtype per adapter', () => {
    const form = pythia();
    expect(form.template).toBe('math-expr');
    const f16 = checkForm(form, ladder, gpuF16);
    expect(f16.errors).toEqual({});
    expect(f16.spec!.models.map((m) => [m.id, m.source, m.revision, m.dtype, m.device])).toEqual(
      HUB_CATALOG.ladders[0].models.map((m) => [m.repoId, 'hub', null, 'q4f16', 'webgpu']),
    );
    expect(f16.warnings).toEqual([]);
    // Without shader-f16: q4; on WASM: q8.
    expect(checkForm(form, ladder, gpu).spec!.models.every((m) => m.dtype === 'q4')).toBe(true);
    expect(checkForm({ ...form, backend: 'wasm' }, ladder, wasmOnly).spec!.models.every((m) => m.dtype === 'q8' && m.device === 'wasm')).toBe(true);
    // The approximate download of the chosen dtype comes from the catalog.
    expect(f16.hubPlan[0]).toMatchObject({ repoId: 'Xenova/pythia-14m', dtype: 'q4f16', bytes: 26e6, bytesApprox: true, custom: false });
  });

  it('switching back to the bundled ladder restores its template; the Hub selection is kept', () => {
    const back = withSource(pythia(), 'bundled');
    expect(back.template).toBe('arith-plain');
    expect(checkForm(back, ladder, gpuF16).spec).toEqual(defaultSpec(ladder, 'webgpu'));
    expect(withSource(back, 'hub').hubModels).toEqual(pythia().hubModels);
  });

  it('choosing another ladder selects all its models and its template', () => {
    const qwen = withHubLadder(pythia(), 'qwen2.5-instruct');
    expect(qwen.hubModels).toEqual(['onnx-community/Qwen2.5-0.5B-Instruct', 'onnx-community/Qwen2.5-1.5B-Instruct']);
    expect(qwen.template).toBe('qa');
  });

  it('an explicit f16 dtype is refused without shader-f16, with the reason, and accepted where it runs', () => {
    const form = { ...pythia(), dtype: 'fp16' as const };
    const refused = checkForm(form, ladder, gpu);
    expect(refused.spec).toBeNull();
    expect(refused.errors.dtype).toMatch(/^fp16 weights need the WebGPU feature shader-f16, which this adapter lacks/);
    expect(checkForm(form, ladder, gpuF16).spec!.models.every((m) => m.dtype === 'fp16')).toBe(true);
    // WASM runs f16 (emulated): allowed.
    expect(dtypeProblem('q4f16', wasmOnly, 'wasm')).toBeNull();
    expect(checkForm(form, ladder, true).errors.dtype).toMatch(/shader-f16/);
  });

  it('custom repositories join the ladder by parameter count; auto uses their probed dtypes and warns on a mix', () => {
    let form = withHubLadder(pythia(), CUSTOM_LADDER);
    expect(form.hubModels).toEqual([]);
    expect(checkForm(form, ladder, gpu).errors.models).toBe('Choose at least one model.');
    form = withCustomModel(form, custom('me/big', [['fp32', 4000], ['q4', 900]], 1000));
    form = withCustomModel(form, custom('me/small', [['fp32', 400]], 100));
    const check = checkForm(form, ladder, gpu);
    expect(check.spec!.models.map((m) => [m.id, m.dtype])).toEqual([
      ['me/small', 'fp32'],
      ['me/big', 'fp32'],
    ]);
    expect(check.warnings).toEqual([]);
    expect(check.hubPlan.map((m) => [m.bytes, m.bytesApprox])).toEqual([
      [400, false],
      [4000, false],
    ]);
    // A third model with only q4: no common dtype, each its best, and a warning about the mix.
    form = withCustomModel(form, custom('me/huge', [['q4', 5000]], 5000));
    const mixed = checkForm(form, ladder, gpu);
    expect(mixed.spec!.models.map((m) => m.dtype)).toEqual(['fp32', 'q4', 'q4']);
    expect(mixed.warnings[0]).toMatch(/^The models of this ladder use different dtypes/);
  });

  it('an explicit dtype a probed repository lacks is refused, naming the repository and what it has', () => {
    const form = withCustomModel(withHubLadder(pythia(), CUSTOM_LADDER), custom('me/only-fp32', [['fp32', 10]]));
    expect(checkForm({ ...form, dtype: 'q4' }, ladder, gpu).errors.dtype).toBe('me/only-fp32 has no q4 weights (it has fp32).');
  });

  it('catalog models checked on the host: auto uses the dtypes really there; a failed check warns and the rest still runs', () => {
    let form: ExperimentForm = { ...pythia(), backend: 'wasm' };
    form.hubModels = ['Xenova/pythia-14m', 'Xenova/pythia-31m', 'Xenova/pythia-410m'];
    // Unchecked, auto trusts the catalog (q8 on WASM).
    expect(checkForm(form, ladder, wasmOnly).spec!.models.map((m) => m.dtype)).toEqual(['q8', 'q8', 'q8']);
    form = withHostChecks(form, {
      'Xenova/pythia-14m': { ok: true, model: custom('Xenova/pythia-14m', [['fp32', 28_000]]) },
      'Xenova/pythia-31m': { ok: true, model: custom('Xenova/pythia-31m', [['fp32', 52_000], ['q8', 13_000]]) },
      'Xenova/pythia-410m': { ok: false, message: 'Xenova/pythia-410m: the model host has no repository with this id.' },
    });
    const check = checkForm(form, ladder, wasmOnly);
    // One dtype every model has (fp32) rather than a mix (the failed one offers the catalog's list).
    expect(check.spec!.models.map((m) => [m.id, m.dtype])).toEqual([
      ['Xenova/pythia-14m', 'fp32'],
      ['Xenova/pythia-31m', 'fp32'],
      ['Xenova/pythia-410m', 'fp32'],
    ]);
    expect(check.hubPlan.slice(0, 2).map((m) => [m.bytes, m.bytesApprox])).toEqual([
      [28_000, false],
      [52_000, false],
    ]);
    expect(check.warnings.some((w) => w.startsWith('Xenova/pythia-410m: the model host has no repository with this id. It will fail on its rung'))).toBe(true);
    // An explicit dtype a checked catalog model lacks is refused.
    expect(checkForm({ ...form, dtype: 'q8' }, ladder, wasmOnly).errors.dtype).toBe('Xenova/pythia-14m has no q8 weights (it has fp32).');
  });

  it('removing a custom model unselects it; adding it twice keeps one', () => {
    let form = withCustomModel(pythia(), custom('me/x', [['fp32', 1]]));
    form = withCustomModel(form, custom('me/x', [['fp32', 2]]));
    expect(form.custom).toHaveLength(1);
    expect(form.hubModels.filter((id) => id === 'me/x')).toHaveLength(1);
    form = withoutCustomModel(form, 'me/x');
    expect(form.custom).toEqual([]);
    expect(form.hubModels).not.toContain('me/x');
  });

  it('a pinned Hub spec round-trips through the form (commits kept until "latest" is asked for)', () => {
    const spec: ExperimentSpec = {
      ...defaultSpec(ladder, 'wasm'),
      task: { ...(defaultSpec(ladder, 'wasm').task as Extract<ExperimentSpec['task'], { kind: 'arithmetic' }>), template: 'math-expr' },
      models: [
        { id: 'Xenova/pythia-14m', source: 'hub', revision: SHA, dtype: 'q8', device: 'wasm' },
        { id: 'Xenova/pythia-31m', source: 'hub', revision: SHA, dtype: 'q8', device: 'wasm' },
      ],
    };
    const form = formFromSpec(spec);
    expect(form).toMatchObject({ source: 'hub', hubLadder: 'pythia', dtype: 'q8', revisions: { 'Xenova/pythia-14m': SHA } });
    expect(checkForm(form, ladder, wasmOnly).spec).toEqual(spec);
    expect(checkForm(withLatestRevisions(form), ladder, wasmOnly).spec!.models.every((m) => m.revision === null)).toBe(true);
  });

  it('a spec naming repositories outside the catalog lists them as custom, unprobed: auto asks for a probe', () => {
    const spec: ExperimentSpec = { ...defaultSpec(ladder, 'wasm'), models: [{ id: 'me/a', source: 'hub', revision: null, dtype: 'fp32', device: 'wasm' }] };
    const form = formFromSpec(spec);
    expect(form.hubLadder).toBe(CUSTOM_LADDER);
    expect(form.custom).toEqual([{ repoId: 'me/a', sha: null, modelType: null, params: null, paramsEstimated: false, dtypes: null }]);
    expect(checkForm(form, ladder, wasmOnly).spec!.models[0]).toMatchObject({ id: 'me/a', dtype: 'fp32' });
    expect(checkForm({ ...form, dtype: 'auto' }, ladder, wasmOnly).errors.dtype).toMatch(/^Auto needs to know which dtypes me\/a has/);
  });
});
