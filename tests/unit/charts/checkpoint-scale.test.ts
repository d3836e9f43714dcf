/**
 * Runs of the training-compute ladder (arith-steps): checkpoints of one size share their
 * parameter count, so ordering, the x axis, the emergence measures and the jump prediction go by
 * each model's recorded ladder position (ModelRun.scale), and never along two training runs.
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { defaultSpec, ladderModelId, ladderPositionOf, parseLadderManifest, trainingRuns } from '../../../src/lib/catalog/ladder.ts';
import { checkForm, formFromSpec } from '../../../src/lib/charts/form.ts';
import { formatJumpShare } from '../../../src/lib/charts/measures.ts';
import { predictionView, xAxisChoices, xValuesOf } from '../../../src/lib/charts/scale.ts';
import { buildPanels, plottableModels } from '../../../src/lib/charts/series.ts';
import {
  computeEmergence,
  computeEmergenceMeasures,
  ladderAxisOf,
  measureLadder,
  mixedTrainingRuns,
  predictionItemsOf,
  predictVariantJump,
  sortAlongLadder,
} from '../../../src/lib/results/emergence.ts';
import { RunResultSchema } from '../../../src/lib/results/schema.ts';
import type { ModelRun } from '../../../src/lib/results/types.ts';
import stepsJson from '../../../static/models/arith-steps/ladder.json';
import { modelRun, runResult, SPEC } from './fixtures.ts';

const steps = parseLadderManifest(stepsJson);
const [small, large] = trainingRuns(steps);

/** A finished checkpoint model with `right` of 12 items right per variant, positioned on the ladder. */
function checkpoint(id: string, right: number, lp: number, withScale = true): ModelRun {
  const m = steps.models.find((x) => x.id === id)!;
  const run = modelRun(ladderModelId(steps, m), m.params, { 'add/1d': right }, 12, lp);
  return withScale ? { ...run, scale: ladderPositionOf(steps, run.id)! } : run;
}

/** The larger run's checkpoints, scrambled: right answers and log-probs grow with the step. */
function largeRun(withScale = true): ModelRun[] {
  const ms = large.models.map((m, i) => checkpoint(m.id, Math.min(12, i * 2), -4 + i * 0.45, withScale));
  return [ms[4], ms[0], ms[8], ms[2], ms[6], ms[1], ms[7], ms[3], ms[5]];
}

describe('ordering along a ladder', () => {
  it('orders checkpoints of one size by training compute, not by their shared parameter count', () => {
    const sorted = sortAlongLadder(largeRun());
    expect(sorted.map((m) => m.id)).toEqual(large.models.map((m) => `arith-steps/${m.id}`));
    expect(ladderAxisOf(sorted)).toBe('compute');
    expect(plottableModels(largeRun()).map((m) => m.id)).toEqual(sorted.map((m) => m.id));
    expect(measureLadder(largeRun()).map((m) => m.id)).toEqual(sorted.map((m) => m.id));
  });

  it('falls back to parameters when a model has no position (Hub models, older files) or axes differ', () => {
    const a = { id: 'a', params: 30, scale: { axis: 'compute' as const, value: 1, run: 'r' } };
    const b = { id: 'b', params: 20 };
    const c = { id: 'c', params: 10, scale: { axis: 'params' as const, value: 10, run: 'c' } };
    expect(sortAlongLadder([a, b]).map((m) => m.id)).toEqual(['b', 'a']);
    expect(sortAlongLadder([a, c]).map((m) => m.id)).toEqual(['c', 'a']);
    expect(ladderAxisOf([a, c])).toBe('params');
    expect(sortAlongLadder([{ ...a, scale: { ...a.scale, value: 5 } }, { ...c, params: 40, scale: { axis: 'compute', value: 2, run: 'r' } }]).map((m) => m.id)).toEqual(['c', 'a']);
  });

  it('measures jump share along compute, naming the step in FLOPs', () => {
    const models = largeRun();
    const measures = computeEmergenceMeasures(models, SPEC.bootstrapSeed, { resamples: 50 });
    const em = measures['add/1d'];
    expect(em.models).toEqual(large.models.map((m) => `arith-steps/${m.id}`));
    const text = formatJumpShare(em.metrics.exact_match.jumpShare, sortAlongLadder(models));
    expect(text).toMatch(/largest step \d\.\de\d+ FLOPs → \d\.\de\d+ FLOPs$/);
    // By parameters alone (a file without positions) the order would be the file's order.
    expect(computeEmergenceMeasures(largeRun(false), SPEC.bootstrapSeed, { resamples: 50 })['add/1d'].models).not.toEqual(em.models);
  });

  it('never measures along checkpoints of two training runs', () => {
    const mixed = [...largeRun(), checkpoint(small.models[8].id, 12, -0.1)];
    expect(mixedTrainingRuns(mixed)).toEqual(['arith-l2-d44', 'arith-l2-d36']);
    expect(mixedTrainingRuns(largeRun())).toBeNull();
    expect(measureLadder(mixed)).toEqual([]);
    expect(computeEmergenceMeasures(mixed, SPEC.bootstrapSeed)).toEqual({});
    expect(computeEmergence(mixed)).toEqual({});
    const p = predictVariantJump(mixed.map((m) => ({ ...m, items: predictionItemsOf(m) })), 'add/1d', 1);
    expect(p).toEqual({ undefined: expect.stringMatching(/mixes checkpoints of 2 training runs \(arith-l2-d44, arith-l2-d36\)/) });
  });

  it('fits the jump prediction against log compute and says so', () => {
    const models = largeRun();
    const view = predictionView(models, 'add/1d', SPEC.bootstrapSeed, 2, SPEC.task, () => null);
    expect(view.text).toMatch(/^fit of per-token p on 3 models ≤ \d\.\de\d+ FLOPs/);
    expect(view.cutoffs[0].label).toMatch(/FLOPs, 2 models$/);
    expect(view.panel!.description).toMatch(/against log training compute/);
    // The table column stays parameters; the points sit at their compute.
    expect(view.panel!.series[0].points.every((p) => p.params === large.params)).toBe(true);
  });
});

describe('the x axis of a checkpoint run', () => {
  it('offers training compute alone (parameters cannot separate checkpoints of one size), before and after models finish', () => {
    expect(xAxisChoices(largeRun(), steps).map((a) => a.id)).toEqual(['train_compute']);
    expect(xAxisChoices([], steps).map((a) => a.id)).toEqual(['train_compute']);
    const x = xValuesOf(largeRun(), 'train_compute', steps);
    for (const m of large.models) expect(x.get(`arith-steps/${m.id}`)).toBe(m.compute);
  });

  it('keeps every axis for a size ladder and falls back to all when none separates', () => {
    const sized = runResult([modelRun('arith/a', 1000, { 'add/1d': 0 }), modelRun('arith/b', 2000, { 'add/1d': 6 })]);
    expect(xAxisChoices(sized.models, null).map((a) => a.id)).toEqual(['params']);
    const twins = [modelRun('x/a', 1000, { 'add/1d': 0 }), modelRun('x/b', 1000, { 'add/1d': 6 })];
    expect(xAxisChoices(twins, null).map((a) => a.id)).toEqual(['params']);
  });

  it('draws each series in compute order', () => {
    const models = largeRun();
    const x = xValuesOf(models, 'train_compute', steps);
    const [panel] = buildPanels(models, ['add/1d'], {}, ['exact_match'], SPEC.task, (m) => x.get(m.id) ?? null);
    const xs = panel.series[0].points.map((p) => p.x);
    expect(xs).toHaveLength(9);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
  });
});

describe('run files with and without positions', () => {
  it('accepts a run whose models carry a position, one without (older files), and refuses a bad one', () => {
    const ofSteps = (models: ModelRun[]) => {
      const run = runResult(models);
      return { ...run, spec: { ...run.spec, models: models.map((m) => ({ id: m.id, source: 'bundled' as const, revision: null, dtype: 'fp32' as const, device: 'wasm' as const })) } };
    };
    const withScale = ofSteps(largeRun());
    const parsed = v.safeParse(RunResultSchema, withScale);
    if (!parsed.success) throw new Error(parsed.issues.map((i) => i.message).join('; '));
    expect(parsed.output.models[0].scale).toEqual(withScale.models[0].scale);
    expect(v.safeParse(RunResultSchema, ofSteps(largeRun(false))).success).toBe(true);
    const bad = structuredClone(withScale);
    (bad.models[0] as { scale: unknown }).scale = { axis: 'tokens', value: 1, run: 'x' };
    expect(v.safeParse(RunResultSchema, bad).success).toBe(false);
  });
});

describe('the form on the checkpoint ladder', () => {
  it('runs one model\'s checkpoints in compute order and refuses checkpoints of two runs', () => {
    const form = formFromSpec(defaultSpec(steps, 'wasm'));
    const ok = checkForm(form, steps, false);
    expect(ok.errors).toEqual({});
    expect(ok.spec!.models.map((m) => m.id)).toEqual(large.models.map((m) => `arith-steps/${m.id}`));
    const mixed = checkForm({ ...form, models: [...form.models, `arith-steps/${small.models[0].id}`] }, steps, false);
    expect(mixed.spec).toBeNull();
    expect(mixed.errors.models).toMatch(/Choose the checkpoints of one model/);
  });
});
