import { aggregateItems } from '../metrics/aggregate.ts';
import { computeItemMetrics } from '../metrics/item.ts';
import { GENERATION_METRIC_IDS } from '../metrics/registry.ts';
import type { GenerationMetricId } from '../metrics/types.ts';
import type { RawItemResult } from '../engine/types.ts';
import type { GenerationItem } from '../tasks/types.ts';
import type { ItemRecord, VariantAggregate } from './results.ts';

/** Turn the engine's raw output into a stored item with every generation metric. */
export function toItemRecord(item: GenerationItem, raw: RawItemResult): ItemRecord {
  const metrics = computeItemMetrics({
    target: item.target,
    targetTokenIds: raw.targetTokenIds,
    targetLogprobs: raw.targetLogprobs,
    targetIsArgmax: raw.targetIsArgmax,
    outputText: raw.outputText,
    outputTokenIds: raw.outputTokenIds,
  });
  return {
    id: item.id,
    variant: item.variant,
    prompt: item.prompt,
    target: item.target,
    meta: item.meta,
    target_token_ids: raw.targetTokenIds,
    target_logprobs: raw.targetLogprobs,
    target_is_argmax: raw.targetIsArgmax,
    output_text: raw.outputText,
    output_token_ids: raw.outputTokenIds,
    generated: raw.generated,
    metrics,
  };
}

/**
 * Per-variant means with seeded bootstrap 95% intervals, variants in first-seen order, for the
 * given metrics (the spec's; every generation metric by default). Each metric's interval has its
 * own seed stream, so a subset gives the same numbers as the full set.
 */
export function aggregateModelItems(items: ItemRecord[], bootstrapSeed: number, metricIds: readonly GenerationMetricId[] = GENERATION_METRIC_IDS): VariantAggregate[] {
  const table = aggregateItems(
    items.map((i) => ({ variant: i.variant, metrics: i.metrics as unknown as Record<string, number | null> })),
    metricIds,
    bootstrapSeed,
  );
  return Object.keys(table).map((variant) => ({
    variant,
    n: items.filter((i) => i.variant === variant).length,
    metrics: { ...table[variant] },
  }));
}
