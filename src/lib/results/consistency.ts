/**
 * Checks that a run's numbers are possible and agree with each other, for runs that come from
 * outside (files, links, storage): every aggregate's mean and interval lie in its metric's range
 * (from the metric registry) with lo ≤ mean ≤ hi, and where a model carries its items, each
 * aggregate's n and mean equal what those items give (the mean does not depend on the interval
 * method, so runs made with any version's intervals pass). A message names the first problem.
 */
import { getMetric, isMetricId } from '../metrics/registry.ts';
import type { MeanCI } from '../metrics/aggregate.ts';
import type { ItemRecord, ModelRun } from './types.ts';

/** Relative tolerance of a recomputed mean: summation order may differ in the last bits. */
const MEAN_TOLERANCE = 1e-9;

export function aggregateRangeProblem(metricId: string, cell: MeanCI): string | null {
  if (!isMetricId(metricId)) return `unknown metric "${metricId.slice(0, 40)}"`;
  const { min, max } = getMetric(metricId).range;
  for (const [name, x] of [['mean', cell.mean], ['lo', cell.lo], ['hi', cell.hi]] as const) {
    if (!Number.isFinite(x)) return `${metricId} ${name} is not a finite number`;
    if ((min !== null && x < min) || (max !== null && x > max)) {
      return `${metricId} ${name} = ${x} is outside the metric's range [${min ?? '−∞'}, ${max ?? '∞'}]`;
    }
  }
  if (!(cell.lo <= cell.mean && cell.mean <= cell.hi)) return `${metricId}: the interval [${cell.lo}, ${cell.hi}] does not contain the mean ${cell.mean}`;
  return null;
}

function itemMean(items: readonly ItemRecord[], metricId: string): { mean: number; n: number } | null {
  let sum = 0;
  let n = 0;
  for (const item of items) {
    const x = (item.metrics as Record<string, number | null | undefined>)[metricId];
    if (x === null || x === undefined) continue;
    sum += x;
    n++;
  }
  return n === 0 ? null : { mean: sum / n, n };
}

/** The first impossible or inconsistent number of a model run, or null. */
export function modelConsistencyProblem(model: ModelRun): string | null {
  for (const variant of model.aggregates.variants) {
    for (const [id, cell] of Object.entries(variant.metrics)) {
      const range = aggregateRangeProblem(id, cell);
      if (range) return `${model.id}, ${variant.variant}: ${range}`;
    }
  }
  // Items present and aggregated: the summary must be what the items say.
  if (model.status !== 'done' || model.items.length === 0 || model.aggregates.variants.length === 0) return null;
  for (const variant of model.aggregates.variants) {
    const items = model.items.filter((i) => i.variant === variant.variant);
    if (items.length !== variant.n) return `${model.id}, ${variant.variant}: the summary counts ${variant.n} items but the run has ${items.length}`;
    for (const [id, cell] of Object.entries(variant.metrics)) {
      const got = itemMean(items, id);
      if (!got) return `${model.id}, ${variant.variant}: ${id} is summarized but no item has it`;
      if (got.n !== cell.n) return `${model.id}, ${variant.variant}: ${id} summarizes ${cell.n} items, the items give ${got.n}`;
      if (Math.abs(got.mean - cell.mean) > MEAN_TOLERANCE * Math.max(1, Math.abs(got.mean))) {
        return `${model.id}, ${variant.variant}: the summary's ${id} mean ${cell.mean} does not match its items (${got.mean})`;
      }
    }
  }
  return null;
}

export function runConsistencyProblem(run: { models: readonly ModelRun[]; emergence: Record<string, Record<string, number>> }): string | null {
  for (const m of run.models) {
    const p = modelConsistencyProblem(m);
    if (p) return p;
  }
  for (const scores of Object.values(run.emergence)) {
    for (const id of Object.keys(scores)) if (!isMetricId(id)) return `emergence names an unknown metric "${id.slice(0, 40)}"`;
  }
  return null;
}
