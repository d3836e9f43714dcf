/**
 * A realistic synthetic RunResult for size and round-trip tests: the real item generator,
 * metrics, bootstrap aggregates and emergence scores, fed with seeded fake model outputs
 * (a character-level ladder: one token per digit plus an end token, like the bundled one).
 */
import { GENERATION_METRIC_IDS } from '../../../src/lib/metrics/registry.ts';
import { createRng, deriveSeed, type Rng } from '../../../src/lib/tasks/prng.ts';
import { generateArithmeticItems } from '../../../src/lib/tasks/arithmetic.ts';
import { aggregateModelItems, toItemRecord } from '../../../src/lib/results/records.ts';
import { computeEmergence, computeEmergenceMeasures } from '../../../src/lib/results/emergence.ts';
import { RUN_FORMAT, RUN_VERSION, type ModelRun, type RunResult } from '../../../src/lib/results/types.ts';
import { SPEC_FORMAT, SPEC_VERSION, type ExperimentSpec } from '../../../src/lib/spec/schema.ts';
import type { GenerationItem } from '../../../src/lib/tasks/types.ts';

const EOS = 1;
const digitToken = (ch: string): number => 3 + Number(ch);

function uniform(rng: Rng): number {
  return rng.int(0, 1_000_000_000) / 1_000_000_001 + 1e-12;
}

/** One fake teacher-forced pass + greedy output for a model of "skill" s in (0, 1). */
function fakeRaw(item: GenerationItem, skill: number, rng: Rng) {
  const digits = [...item.target];
  const targetTokenIds = [...digits.map(digitToken), EOS];
  // Per-token probability falls with answer length and rises with skill; jitter per token.
  const targetLogprobs = targetTokenIds.map(() => {
    const p = Math.min(0.999, Math.max(1e-4, skill ** (1 + Number(item.meta.digits) / 3) * (0.7 + 0.3 * uniform(rng))));
    return Math.log(p);
  });
  const targetIsArgmax = targetLogprobs.map((l) => l > Math.log(0.5));
  const correct = targetIsArgmax.every(Boolean);
  let out = digits.slice();
  if (!correct) {
    out = out.map((d) => (uniform(rng) < 0.5 ? String(rng.int(0, 9)) : d));
    if (uniform(rng) < 0.3) out.push(String(rng.int(0, 9)));
    if (out.join('') === item.target) out[0] = out[0] === '9' ? '8' : '9';
  }
  return {
    itemId: item.id,
    promptTokenCount: item.prompt.length,
    targetTokenIds,
    targetLogprobs,
    targetIsArgmax,
    outputTokenIds: [...out.map(digitToken), EOS],
    outputText: out.join(''),
    generated: !correct,
  };
}

export interface SyntheticOptions {
  models?: number;
  digits?: number[];
  perVariant?: number;
  seed?: number;
  /** The interval method of the aggregates (default the lab's standard one). */
  intervals?: 'standard' | 'legacy-percentile';
}

export function syntheticSpec(opts: SyntheticOptions = {}): ExperimentSpec {
  const models = opts.models ?? 6;
  return {
    format: SPEC_FORMAT,
    version: SPEC_VERSION,
    appVersion: '0.1.0',
    task: { kind: 'arithmetic', operation: 'add', digits: opts.digits ?? [1, 2, 3, 4, 5], perVariant: opts.perVariant ?? 40, seed: opts.seed ?? 7, kShot: 0, template: 'arith-plain' },
    models: Array.from({ length: models }, (_, i) => ({ id: `arith/arith-l${i + 1}-d${12 * (i + 1)}`, source: 'bundled' as const, revision: null, dtype: 'fp32' as const, device: 'webgpu' as const })),
    metrics: [...GENERATION_METRIC_IDS],
    bootstrapSeed: 1,
  };
}

export function syntheticRun(opts: SyntheticOptions = {}): RunResult {
  const spec = syntheticSpec(opts);
  const items = generateArithmeticItems(spec.task as Extract<ExperimentSpec['task'], { kind: 'arithmetic' }>);
  const models: ModelRun[] = spec.models.map((ref, i) => {
    const rng = createRng(deriveSeed(opts.seed ?? 7, ref.id, 'fake'));
    const skill = 0.35 + (0.6 * i) / Math.max(1, spec.models.length - 1);
    const records = items.map((item) => toItemRecord(item, fakeRaw(item, skill, rng)));
    return {
      id: ref.id,
      params: 2400 * 4 ** i,
      dtype: ref.dtype,
      device: ref.device,
      status: 'done',
      error: null,
      loadMs: 120 + i * 37,
      scoreMs: 900 + i * 411,
      items: records,
      aggregates: { variants: aggregateModelItems(records, { seed: spec.bootstrapSeed, model: ref.id, intervals: opts.intervals ?? 'standard' }) },
    };
  });
  return {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    spec,
    env: {
      app: '0.1.0',
      runtime: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      backend: 'webgpu',
      adapter: { vendor: 'nvidia', architecture: 'ampere', shaderF16: true },
      transformersVersion: '4.3.2',
      startedAt: '2025-05-01T12:00:00.000Z',
      finishedAt: '2025-05-01T12:03:21.456Z',
    },
    models,
    emergence: computeEmergence(models),
    ...(opts.intervals === 'legacy-percentile' ? {} : { intervals: 'standard' as const, emergence_measures: computeEmergenceMeasures(models, spec.bootstrapSeed) }),
  };
}
