/**
 * The metrics as data: one table drives labels, axis ranges, orientation (for the emergence
 * score) and the discontinuous/continuous split of Schaeffer et al. 2023 (arXiv:2304.15004),
 * who found that discontinuous metrics (exact match, multiple-choice grade) account for most
 * claimed emergent abilities.
 */
import { MetricError } from './errors.ts';
import type { ChoiceMetricId, GenerationMetricId, MetricId } from './types.ts';

export type MetricKind = 'discontinuous' | 'continuous';
export type MetricFamily = 'generation' | 'choice';

export interface MetricInfo {
  readonly id: MetricId;
  readonly label: string;
  readonly description: string;
  readonly higherIsBetter: boolean;
  readonly kind: MetricKind;
  readonly family: MetricFamily;
  /** Range hints for axes; null = unbounded on that side (e.g. edit distance grows with length). */
  readonly range: { readonly min: number | null; readonly max: number | null };
}

export const METRICS = [
  {
    id: 'exact_match',
    label: 'Exact match',
    description: 'Output equals the target after trimming leading/trailing whitespace (1) or not (0).',
    higherIsBetter: true,
    kind: 'discontinuous',
    family: 'generation',
    range: { min: 0, max: 1 },
  },
  {
    id: 'token_edit_distance',
    label: 'Token edit distance',
    description: 'Levenshtein distance between target and output token ids (insertions, deletions, substitutions).',
    higherIsBetter: false,
    kind: 'continuous',
    family: 'generation',
    range: { min: 0, max: null },
  },
  {
    id: 'char_edit_distance',
    label: 'Character edit distance',
    description: 'Levenshtein distance between the trimmed target and output, in Unicode code points.',
    higherIsBetter: false,
    kind: 'continuous',
    family: 'generation',
    range: { min: 0, max: null },
  },
  {
    id: 'digit_accuracy',
    label: 'Digit accuracy',
    description: 'Fraction of digit positions, aligned from the right, where output and target agree (sign counts when negative).',
    higherIsBetter: true,
    kind: 'continuous',
    family: 'generation',
    range: { min: 0, max: 1 },
  },
  {
    id: 'target_logprob',
    label: 'Target log-prob',
    description: 'Natural-log probability of the whole target under teacher forcing (sum over its tokens).',
    higherIsBetter: true,
    kind: 'continuous',
    family: 'generation',
    range: { min: null, max: 0 },
  },
  {
    id: 'mean_token_logprob',
    label: 'Mean token log-prob',
    description: 'Target log-prob divided by the number of target tokens.',
    higherIsBetter: true,
    kind: 'continuous',
    family: 'generation',
    range: { min: null, max: 0 },
  },
  {
    id: 'per_token_prob',
    label: 'Per-token probability',
    description: 'Geometric mean of the target token probabilities, p = exp(mean token log-prob).',
    higherIsBetter: true,
    kind: 'continuous',
    family: 'generation',
    range: { min: 0, max: 1 },
  },
  {
    id: 'greedy_consistency',
    label: 'Greedy consistency',
    description: 'Every target token is the most likely next token under teacher forcing (1) or not (0).',
    higherIsBetter: true,
    kind: 'discontinuous',
    family: 'generation',
    range: { min: 0, max: 1 },
  },
  {
    id: 'predicted_exact_match',
    label: 'Predicted exact match (p^L)',
    description: 'Probability of producing the whole target, p^L = exp(target log-prob); smooth but nonlinear in p.',
    higherIsBetter: true,
    kind: 'continuous',
    family: 'generation',
    range: { min: 0, max: 1 },
  },
  {
    id: 'mc_grade',
    label: 'Multiple-choice grade',
    description: 'The choice with the highest log-likelihood is the answer (1) or not (0); lm-eval-harness acc.',
    higherIsBetter: true,
    kind: 'discontinuous',
    family: 'choice',
    range: { min: 0, max: 1 },
  },
  {
    id: 'mc_grade_norm',
    label: 'Multiple-choice grade (length-normalized)',
    description: 'Like the grade, with each log-likelihood divided by the choice length in characters; lm-eval-harness acc_norm.',
    higherIsBetter: true,
    kind: 'discontinuous',
    family: 'choice',
    range: { min: 0, max: 1 },
  },
  {
    id: 'brier_score',
    label: 'Brier score',
    description: 'Squared error between the softmax over choice log-likelihoods and the one-hot answer; lm-eval-harness brier_score.',
    higherIsBetter: false,
    kind: 'continuous',
    family: 'choice',
    range: { min: 0, max: 2 },
  },
  {
    id: 'prob_correct',
    label: 'Probability of the correct choice',
    description: 'Softmax over choice log-likelihoods, taken at the answer.',
    higherIsBetter: true,
    kind: 'continuous',
    family: 'choice',
    range: { min: 0, max: 1 },
  },
] as const satisfies readonly MetricInfo[];

export const GENERATION_METRIC_IDS: readonly GenerationMetricId[] = [
  'exact_match',
  'token_edit_distance',
  'char_edit_distance',
  'digit_accuracy',
  'target_logprob',
  'mean_token_logprob',
  'per_token_prob',
  'greedy_consistency',
  'predicted_exact_match',
];

export const CHOICE_METRIC_IDS: readonly ChoiceMetricId[] = ['mc_grade', 'mc_grade_norm', 'brier_score', 'prob_correct'];

export function isMetricId(id: string): id is MetricId {
  return METRICS.some((m) => m.id === id);
}

/** Registry entry of a metric id; MetricError for an unknown id (e.g. a typo in a spec). */
export function getMetric(id: string): MetricInfo {
  const info = METRICS.find((m) => m.id === id);
  if (!info) {
    throw new MetricError(`Unknown metric "${id}". Known metrics: ${METRICS.map((m) => m.id).join(', ')}.`);
  }
  return info;
}
