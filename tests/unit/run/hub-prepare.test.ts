import { GENERATION_METRIC_IDS } from '../../../src/lib/metrics/registry.ts';
import { describe, expect, it } from 'vitest';
import type { DownloadPlan, PlannedModel } from '../../../src/lib/hub/plan.ts';
import { anyRunnable, pinSpecToPlan, planFailures, runParams } from '../../../src/lib/run/hub-prepare.ts';
import type { ExperimentSpec, ModelRef } from '../../../src/lib/spec/schema.ts';

const SHA = 'abcdef0123456789abcdef0123456789abcdef01';
const ref = (id: string, source: 'hub' | 'bundled' = 'hub'): ModelRef => ({ id, source, revision: null, dtype: 'q8', device: 'wasm' });
const spec: ExperimentSpec = {
  format: 'emergence-lab/spec',
  version: 1,
  appVersion: '0.1.0',
  task: { kind: 'arithmetic', operation: 'add', digits: [1], perVariant: 4, seed: 1, kShot: 0, template: 'math-expr' },
  models: [ref('arith/tiny', 'bundled'), ref('Xenova/pythia-14m'), ref('me/custom'), ref('me/missing')],
  metrics: [...GENERATION_METRIC_IDS],
  bootstrapSeed: 1,
};
const planned = (id: string, params: number | null): PlannedModel => ({
  ref: { ...ref(id), revision: SHA },
  repoId: id,
  sha: SHA,
  dtype: 'q8',
  modelType: 'gpt2',
  params,
  paramsEstimated: false,
  files: [],
  absentOptional: [],
  totalBytes: 0,
  cachedBytes: 0,
  downloadBytes: 0,
  sizesIncomplete: false,
});
const plan: DownloadPlan = {
  host: 'http://127.0.0.1:1',
  models: [planned('Xenova/pythia-14m', 999), planned('me/custom', 1234)],
  failed: [{ ref: ref('me/missing'), error: 'RepoNotFoundError', message: 'me/missing: the model host has no repository with this id' }],
  files: [],
  totalBytes: 0,
  cachedBytes: 0,
  downloadBytes: 0,
  consentThresholdBytes: 1,
  needsConsent: false,
  warnings: [],
};

describe('preparing a run with Hub models', () => {
  it('pins planned Hub models to their commits; bundled and failed models are unchanged', () => {
    const pinned = pinSpecToPlan(spec, plan);
    expect(pinned.models.map((m) => m.revision)).toEqual([null, SHA, SHA, null]);
    expect(pinned.task).toBe(spec.task);
  });

  it('parameters: bundled from the manifest, Hub from the catalog, else from the plan', () => {
    expect(runParams(spec, plan, (id) => (id === 'arith/tiny' ? 42 : null))).toEqual({
      'arith/tiny': 42,
      'Xenova/pythia-14m': 14067712,
      'me/custom': 1234,
      'me/missing': null,
    });
  });

  it('failures by model; a run with only failed models has nothing to run', () => {
    expect(planFailures(plan)).toEqual({ 'me/missing': 'me/missing: the model host has no repository with this id' });
    expect(anyRunnable(spec, plan)).toBe(true);
    expect(anyRunnable({ ...spec, models: [ref('me/missing')] }, plan)).toBe(false);
  });
});
