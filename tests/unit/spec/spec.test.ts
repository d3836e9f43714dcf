import { describe, expect, it } from 'vitest';
import { defaultSpec, parseLadderManifest } from '../../../src/lib/catalog/ladder.ts';
import { parseSpec, SpecError } from '../../../src/lib/spec/index.ts';
import ladderJson from '../../../static/models/arith/ladder.json';

const ladder = parseLadderManifest(ladderJson);
const spec = defaultSpec(ladder, 'webgpu');

describe('ExperimentSpec validation', () => {
  it('accepts the default spec and round-trips it through JSON', () => {
    expect(parseSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
    expect(spec.models.length).toBe(ladder.defaultModels?.length ?? ladder.models.length);
    expect(spec.task).toMatchObject({ kind: 'arithmetic', digits: [1, 2, 3, 4, 5] });
  });

  it('rejects out-of-range and malformed fields with the field named', () => {
    const bad = (patch: (s: Record<string, any>) => void) => {
      const s = structuredClone(spec) as unknown as Record<string, any>;
      patch(s);
      return () => parseSpec(s);
    };
    expect(bad((s) => (s.task.perVariant = 0))).toThrow(/task.perVariant: items per variant must be at least 1/);
    expect(bad((s) => (s.task.digits = [1, 1]))).toThrow(/digit counts must not repeat/);
    expect(bad((s) => (s.task.seed = 1.5))).toThrow(/seed must be a whole number/);
    expect(bad((s) => (s.models = []))).toThrow(/at least one model/);
    expect(bad((s) => (s.models[0].id = '../../etc/passwd'))).toThrow(/owner\/name/);
    expect(bad((s) => (s.models[0].dtype = 'fp64'))).toThrow(/dtype must be one of/);
    expect(bad((s) => (s.format = 'other'))).toThrow(SpecError);
    expect(() => parseSpec(null)).toThrow(SpecError);
    expect(() => parseSpec('spec')).toThrow(SpecError);
  });

  it('says so when a spec comes from a newer app version', () => {
    expect(() => parseSpec({ ...spec, version: 2 })).toThrow(/newer version of Emergence Lab/);
  });
});

describe('the metrics of a spec', () => {
  it('lists every generation metric by default; older specs without the field get the same', async () => {
    const { GENERATION_METRIC_IDS } = await import('../../../src/lib/metrics/registry.ts');
    expect(spec.metrics).toEqual([...GENERATION_METRIC_IDS]);
    const { metrics: _omitted, ...older } = spec;
    expect(parseSpec(older).metrics).toEqual([...GENERATION_METRIC_IDS]);
  });

  it('keeps a chosen subset and refuses unknown, repeated or no metrics', () => {
    expect(parseSpec({ ...spec, metrics: ['exact_match', 'per_token_prob'] }).metrics).toEqual(['exact_match', 'per_token_prob']);
    expect(() => parseSpec({ ...spec, metrics: ['accuracy'] })).toThrow(/metric must be one of/);
    expect(() => parseSpec({ ...spec, metrics: ['exact_match', 'exact_match'] })).toThrow(/must not repeat/);
    expect(() => parseSpec({ ...spec, metrics: [] })).toThrow(/at least one metric/);
  });
});
