import { aggregateItems } from '../metrics/aggregate.ts';
import { computeItemMetrics } from '../metrics/item.ts';
import { GENERATION_METRIC_IDS } from '../metrics/registry.ts';
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

/** Per-variant means with seeded bootstrap 95% intervals, variants in first-seen order. */
export function aggregateModelItems(items: ItemRecord[], bootstrapSeed: number): VariantAggregate[] {
  const table = aggregateItems(
    items.map((i) => ({ variant: i.variant, metrics: i.metrics as unknown as Record<string, number | null> })),
    GENERATION_METRIC_IDS,
    bootstrapSeed,
  );
  return Object.keys(table).map((variant) => ({
    variant,
    n: items.filter((i) => i.variant === variant).length,
    metrics: { ...table[variant] },
  }));
}
