/**
 * Turn the engine's raw per-item outputs into stored item records with every metric of their
 * family, and aggregate a model's records per variant. Pure: no engine import (the raw shapes
 * are restated here, and the engine's types match them structurally).
 */
import { aggregateItems, type AggregateOptions } from '../metrics/aggregate.ts';
import { computeChoiceMetrics, computeItemMetrics } from '../metrics/item.ts';
import { getMetric, GENERATION_METRIC_IDS, type MetricId } from '../metrics/registry.ts';
import type { ChoiceItem, GenerationItem } from '../tasks/types.ts';
import type { ChoiceItemRecord, GenerationItemRecord, ItemRecord, VariantAggregate } from './types.ts';

/** What the engine measured for one generation item. */
export interface RawGenerationResult {
  targetTokenIds: number[];
  targetLogprobs: number[];
  targetIsArgmax: boolean[];
  outputTokenIds: number[];
  outputText: string;
  generated: boolean;
}

/** What the engine measured for one choice item. */
export interface RawChoiceScores {
  choiceTokenIds: number[][];
  choiceLogprobs: number[];
  choiceIsGreedy: boolean[];
}

export function toItemRecord(item: GenerationItem, raw: RawGenerationResult): GenerationItemRecord {
  const metrics = computeItemMetrics({
    target: item.target,
    alternatives: item.alternatives,
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
    ...(item.alternatives?.length ? { alternatives: item.alternatives } : {}),
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

export function toChoiceRecord(item: ChoiceItem, raw: RawChoiceScores): ChoiceItemRecord {
  const metrics = computeChoiceMetrics({ choices: item.choices, choiceLogprobs: raw.choiceLogprobs, answerIndex: item.answerIndex });
  return {
    kind: 'choice',
    id: item.id,
    variant: item.variant,
    prompt: item.prompt,
    target: item.choices[item.answerIndex],
    meta: item.meta,
    choices: item.choices,
    target_delimiter: item.delimiter,
    answer_index: item.answerIndex,
    target_scores: item.targetScores,
    choice_logprobs: raw.choiceLogprobs,
    choice_token_counts: raw.choiceTokenIds.map((ids) => ids.length),
    choice_is_greedy: raw.choiceIsGreedy,
    metrics,
  };
}

/**
 * Per-variant means with seeded 95% intervals, variants in first-seen order. Each variant is
 * aggregated under the requested metrics of its items' family (generation or choice), so a task
 * that mixes both kinds of item gets the right metrics per variant. Each metric's interval has
 * its own seed stream (including the model), so a subset gives the same numbers as the full set.
 */
export interface AggregateModelOptions {
  /** The run's bootstrap seed (spec.bootstrapSeed). */
  seed: number;
  /** The model's id: part of every cell's seed, so the models of a ladder resample independently. */
  model: string;
  /** Metrics to aggregate (each variant keeps those of its items' family); default every generation metric. */
  metricIds?: readonly MetricId[];
  /** 'standard' (Wilson / BCa ∪ t, the default) or 'legacy-percentile' (r1/r2 links, runs before it). */
  intervals?: AggregateOptions['intervals'];
}

export function aggregateModelItems(items: readonly ItemRecord[], opts: AggregateModelOptions): VariantAggregate[] {
  const { seed: bootstrapSeed, model, metricIds = GENERATION_METRIC_IDS, intervals = 'standard' } = opts;
  const variants: string[] = [];
  const byVariant = new Map<string, ItemRecord[]>();
  for (const item of items) {
    let list = byVariant.get(item.variant);
    if (!list) {
      list = [];
      byVariant.set(item.variant, list);
      variants.push(item.variant);
    }
    list.push(item);
  }
  return variants.map((variant) => {
    const list = byVariant.get(variant)!;
    const family = list[0].kind === 'choice' ? 'choice' : 'generation';
    const ids = metricIds.filter((id) => getMetric(id).family === family);
    const table = aggregateItems(
      list.map((i) => ({ variant, metrics: i.metrics as unknown as Record<string, number | null> })),
      ids,
      bootstrapSeed,
      // The legacy method's seed left the model out; replaying it must too.
      intervals === 'legacy-percentile' ? { intervals } : { model, intervals },
    );
    return { variant, n: list.length, metrics: { ...(table[variant] ?? {}) } };
  });
}
