/** Synthetic run results (no model): items with hand-set metrics, aggregated like the runner. */
import { GENERATION_METRIC_IDS } from '../../../src/lib/metrics/registry.ts';
import { parseLadderManifest, type LadderManifest } from '../../../src/lib/catalog/ladder.ts';
import { computeEmergence, computeEmergenceMeasures } from '../../../src/lib/results/emergence.ts';
import { aggregateModelItems } from '../../../src/lib/results/records.ts';
import type { GenerationItemRecord, ItemRecord, ModelRun, RunResult } from '../../../src/lib/results/types.ts';
import type { ExperimentSpec } from '../../../src/lib/spec/schema.ts';

export const SPEC: ExperimentSpec = {
  format: 'emergence-lab/spec',
  version: 1,
  appVersion: '0.1.0',
  task: { kind: 'arithmetic', operation: 'add', digits: [1, 2], perVariant: 12, seed: 7, kShot: 0, template: 'arith-plain' },
  models: [
    { id: 'arith/small', source: 'bundled', revision: null, dtype: 'fp32', device: 'wasm' },
    { id: 'arith/big', source: 'bundled', revision: null, dtype: 'fp32', device: 'wasm' },
    { id: 'arith/mid', source: 'bundled', revision: null, dtype: 'fp32', device: 'wasm' },
  ],
  metrics: [...GENERATION_METRIC_IDS],
  bootstrapSeed: 1,
};

/** A scored item with hand-set metrics: right or wrong, target log-prob lp over two tokens. */
export function scoredItem(base: Pick<ItemRecord, 'id' | 'variant' | 'prompt' | 'target' | 'meta'>, right: boolean, lp = -1): GenerationItemRecord {
  const { id, variant, prompt, target, meta } = base;
  return {
    id,
    variant,
    prompt,
    target,
    meta,
    target_token_ids: [1, 2],
    target_logprobs: [lp / 2, lp / 2],
    target_is_argmax: [right, right],
    output_text: right ? target : 'x',
    output_token_ids: right ? [1, 2] : [3],
    generated: !right,
    metrics: {
      exact_match: right ? 1 : 0,
      token_edit_distance: right ? 0 : 2,
      char_edit_distance: right ? 0 : 1,
      digit_accuracy: right ? 1 : 0,
      target_logprob: lp,
      mean_token_logprob: lp / 2,
      per_token_prob: Math.exp(lp / 2),
      greedy_consistency: right ? 1 : 0,
      predicted_exact_match: Math.exp(lp),
    },
  };
}

/** Item i of a variant is right when i < right (so the first k items hold min(k, right) right answers). */
export function item(variant: string, i: number, right: boolean, lp = -1): GenerationItemRecord {
  const digits = Number(/(\d+)d$/.exec(variant)![1]);
  return scoredItem({ id: `${variant}-${i}`, variant, prompt: `${i}+${i}=`, target: String(2 * i), meta: { operation: 'add', digits, a: i, b: i } }, right, lp);
}

export function modelRun(id: string, params: number | null, rightPerVariant: Record<string, number>, n = 12, lp = -1): ModelRun {
  const items = Object.entries(rightPerVariant).flatMap(([variant, right]) => Array.from({ length: n }, (_, i) => item(variant, i, i >= n - right, lp)));
  return {
    id,
    params,
    dtype: 'fp32',
    device: 'wasm',
    status: 'done',
    error: null,
    loadMs: 5,
    scoreMs: 10,
    items,
    aggregates: { variants: aggregateModelItems(items, { seed: SPEC.bootstrapSeed, model: id }) },
  };
}

export function runResult(models: ModelRun[]): RunResult {
  return {
    format: 'emergence-lab/run',
    version: 1,
    spec: SPEC,
    env: { app: '0.1.0', runtime: 'test', backend: 'wasm', adapter: null, transformersVersion: 'x', startedAt: '2026-01-02T03:04:05.000Z', finishedAt: '2026-01-02T03:04:06.000Z' },
    models,
    emergence: computeEmergence(models),
    emergence_measures: computeEmergenceMeasures(models, SPEC.bootstrapSeed),
    intervals: 'standard',
  };
}

export function ladderResult(): RunResult {
  return runResult([
    modelRun('arith/small', 1000, { 'add/1d': 0, 'add/2d': 0 }, 12, -4),
    modelRun('arith/big', 100000, { 'add/1d': 12, 'add/2d': 6 }, 12, -0.1),
    modelRun('arith/mid', 10000, { 'add/1d': 3, 'add/2d': 1 }, 12, -1),
  ]);
}

/** A small bundled-ladder manifest for form tests; models given as [id, params] pairs. */
export function testLadder(models: [string, number][]): LadderManifest {
  return parseLadderManifest({
    format: 'emergence-lab/ladder',
    version: 1,
    id: 'arith',
    name: 'test ladder',
    task: 'add',
    template: { id: 'arith-plain', prompt: '{a}+{b}=', target: '{answer}', endToken: '<eos>' },
    digits: [1, 5],
    greedyMargin: 4,
    models: models.map(([id, params], i) => ({ id, params, nonEmbeddingParams: Math.round(params * 0.9), layers: i + 1, dModel: 8 * (i + 1), heads: 2, trainTokens: 0, finalTrainLoss: 0 })),
  });
}
