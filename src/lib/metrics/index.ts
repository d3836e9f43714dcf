/** Public API of the metrics module: pure functions of the engine's raw per-item outputs. */
export { MetricError } from './errors.ts';
export type {
  Binary,
  ChoiceMetricId,
  ChoiceMetrics,
  GenerationMetricId,
  ItemMetrics,
  MetricId,
  RawChoiceOutput,
  RawGenerationOutput,
} from './types.ts';
export { computeChoiceMetrics, computeItemMetrics } from './item.ts';
export { exactMatch } from './exactMatch.ts';
export { normalizeAnswer } from './normalize.ts';
export { charEditDistance, tokenEditDistance } from './editDistance.ts';
export { levenshtein } from './levenshtein.ts';
export { digitAccuracy, hasDigits, toSignedDigits, type SignedDigits } from './digitAccuracy.ts';
export {
  greedyConsistency,
  LOGPROB_TOLERANCE,
  meanTokenLogprob,
  perTokenProb,
  predictedExactMatch,
  targetLogprob,
} from './likelihood.ts';
export { brierScore, mcGrade, mcGradeNorm, probCorrect, softmax } from './choice.ts';
export {
  CHOICE_METRIC_IDS,
  GENERATION_METRIC_IDS,
  METRICS,
  getMetric,
  isMetricId,
  type MetricFamily,
  type MetricInfo,
  type MetricKind,
} from './registry.ts';
export {
  DEFAULT_LEVEL,
  DEFAULT_RESAMPLES,
  aggregateItems,
  meanWithBootstrapCI,
  type AggregateTable,
  type BootstrapOptions,
  type MeanCI,
  type ScoredItem,
} from './aggregate.ts';
export { EMERGENCE_EPSILON, emergenceScore, emergenceScores, type EmergenceOptions } from './emergence.ts';
export { deriveSeed } from './seed.ts';
