/**
 * Resolution: aggregates over only the first k items of each variant. Schaeffer et al. 2023
 * (arXiv:2304.15004) note that with few test items a small non-zero accuracy reads as exactly
 * 0; raising k shows it. Re-aggregation reuses the runner's own aggregateModelItems, so k = all
 * reproduces the stored aggregates exactly.
 */
import { computeEmergence, computeEmergenceMeasures } from '../results/emergence.ts';
import { aggregateModelItems } from '../results/records.ts';
import type { GenerationMetricId } from '../metrics/types.ts';
import type { IntervalStyle, ItemRecord, ModelRun, RunResult, VariantEmergenceMeasures } from '../results/types.ts';

export type Resolution = number | 'all';

/** Item counts offered by the resolution control. */
export const RESOLUTION_STEPS = [5, 10, 20, 40, 100, 200, 500] as const;

/** The steps smaller than the number of items per variant, then "all". */
export function resolutionOptions(perVariant: number): Resolution[] {
  return [...RESOLUTION_STEPS.filter((k) => k < perVariant), 'all'];
}

/** The first k items of each variant, in their original order. */
export function firstKPerVariant(items: readonly ItemRecord[], k: Resolution): ItemRecord[] {
  if (k === 'all') return [...items];
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`Resolution must be a whole number of items ≥ 1 or "all", got ${k}.`);
  const seen = new Map<string, number>();
  return items.filter((item) => {
    const count = seen.get(item.variant) ?? 0;
    seen.set(item.variant, count + 1);
    return count < k;
  });
}

/**
 * Models with aggregates over the first k items of each variant. Finished models get new
 * aggregates (same bootstrap seed as the run); others are returned unchanged. When k covers
 * every item of a model, its stored aggregates are kept as they are.
 */
export function modelsAtResolution(models: readonly ModelRun[], k: Resolution, bootstrapSeed: number, intervals: IntervalStyle = 'standard'): ModelRun[] {
  return models.map((m) => {
    if (m.status !== 'done' || k === 'all') return m;
    const maxPerVariant = Math.max(0, ...m.aggregates.variants.map((v) => v.n));
    if (k >= maxPerVariant) return m;
    const items = firstKPerVariant(m.items, k);
    // The metrics the run aggregated (its spec's), no more.
    const metricIds = Object.keys(m.aggregates.variants[0]?.metrics ?? {}) as GenerationMetricId[];
    return { ...m, aggregates: { variants: aggregateModelItems(items, { seed: bootstrapSeed, model: m.id, metricIds, intervals }) } };
  });
}

/** Emergence scores of models at a resolution (the runner's computeEmergence on them). */
export function emergenceAtResolution(models: readonly ModelRun[]): RunResult['emergence'] {
  return computeEmergence([...models]);
}

/**
 * Emergence measures (breakthroughness, jump share, mirage ratios) over the first k items of
 * each variant, from the models' items. With k = 'all' and `stored` given (the run's own
 * measures), those are returned unchanged.
 */
export function measuresAtResolution(
  models: readonly ModelRun[],
  k: Resolution,
  bootstrapSeed: number,
  stored?: Record<string, VariantEmergenceMeasures>,
): Record<string, VariantEmergenceMeasures> {
  if (k === 'all' && stored) return stored;
  return computeEmergenceMeasures(
    models.map((m) => ({ ...m, items: firstKPerVariant(m.items, k) })),
    bootstrapSeed,
  );
}
