/**
 * The metrics as data: one entry per metric drives its labels, decimals, axis range, direction
 * (for emergence measures), the discontinuous/continuous split of Schaeffer et al. 2023
 * (arXiv:2304.15004, who found that discontinuous metrics — exact match and multiple-choice
 * grade — account for most claimed emergent abilities), the schema ranges of stored values, and
 * the per-item compute function. Adding a metric = one entry here + its function + a line in
 * docs/metrics.md; tables, charts, links and validation derive from this list.
 */
import { brierScore, mcGrade, mcGradeNorm, probCorrect } from './choice.ts';
import { digitAccuracy, hasDigits } from './digitAccuracy.ts';
import { charEditDistance, tokenEditDistance } from './editDistance.ts';
import { MetricError } from './errors.ts';
import { exactMatch } from './exactMatch.ts';
import { greedyConsistency, meanTokenLogprob, perTokenProb, predictedExactMatch, targetLogprob } from './likelihood.ts';
import type { RawChoiceOutput, RawGenerationOutput } from './types.ts';

export type MetricKind = 'discontinuous' | 'continuous';
export type MetricFamily = 'generation' | 'choice';

/** A generation output whose target log-probs were validated (clamped to ≤ 0). */
export interface CheckedGeneration extends RawGenerationOutput {
  logprobs: number[];
}

interface MetricBase {
  readonly id: string;
  readonly label: string;
  /** For table headers and compact legends. */
  readonly shortLabel: string;
  readonly description: string;
  /** Decimals shown in tables and the CLI. */
  readonly decimals: number;
  readonly higherIsBetter: boolean;
  readonly kind: MetricKind;
  /** Values are 0 or 1 (proportions: binomial intervals apply). */
  readonly binary: boolean;
  /** Values are whole numbers (edit distances). */
  readonly integer: boolean;
  /** null = does not apply to this item (e.g. digit accuracy of a word). */
  readonly nullable: boolean;
  /** Range of per-item values (and of means); null = unbounded on that side. */
  readonly range: { readonly min: number | null; readonly max: number | null };
}

export interface GenerationMetricInfo extends MetricBase {
  readonly family: 'generation';
  readonly compute: (raw: CheckedGeneration) => number | null;
}

export interface ChoiceMetricInfo extends MetricBase {
  readonly family: 'choice';
  readonly compute: (raw: RawChoiceOutput) => number;
}

export type MetricInfo = GenerationMetricInfo | ChoiceMetricInfo;

const plain = { binary: false, integer: false, nullable: false } as const;

/** Exact match against the target or any accepted alternative (BIG-bench lists several targets). */
function exactMatchAny(raw: CheckedGeneration): 0 | 1 {
  if (exactMatch(raw.target, raw.outputText) === 1) return 1;
  return (raw.alternatives ?? []).some((t) => exactMatch(t, raw.outputText) === 1) ? 1 : 0;
}

export const METRICS = [
  {
    id: 'exact_match',
    label: 'Exact match',
    shortLabel: 'exact match',
    description: 'Output equals the target (or an accepted alternative) after trimming leading/trailing whitespace (1) or not (0).',
    decimals: 2,
    higherIsBetter: true,
    kind: 'discontinuous',
    family: 'generation',
    ...plain,
    binary: true,
    range: { min: 0, max: 1 },
    compute: exactMatchAny,
  },
  {
    id: 'token_edit_distance',
    label: 'Token edit distance',
    shortLabel: 'token edit',
    description: 'Levenshtein distance between target and output token ids (insertions, deletions, substitutions).',
    decimals: 2,
    higherIsBetter: false,
    kind: 'continuous',
    family: 'generation',
    ...plain,
    integer: true,
    range: { min: 0, max: null },
    compute: (r) => tokenEditDistance(r.targetTokenIds, r.outputTokenIds),
  },
  {
    id: 'char_edit_distance',
    label: 'Character edit distance',
    shortLabel: 'char edit',
    description: 'Levenshtein distance between the trimmed target and output, in Unicode code points.',
    decimals: 2,
    higherIsBetter: false,
    kind: 'continuous',
    family: 'generation',
    ...plain,
    integer: true,
    range: { min: 0, max: null },
    compute: (r) => charEditDistance(r.target, r.outputText),
  },
  {
    id: 'digit_accuracy',
    label: 'Digit accuracy',
    shortLabel: 'digit acc',
    description: 'Fraction of digit positions, aligned from the right, where output and target agree (sign counts when negative).',
    decimals: 2,
    higherIsBetter: true,
    kind: 'continuous',
    family: 'generation',
    ...plain,
    nullable: true,
    range: { min: 0, max: 1 },
    compute: (r) => (hasDigits(r.target) ? digitAccuracy(r.target, r.outputText) : null),
  },
  {
    id: 'target_logprob',
    label: 'Target log-prob',
    shortLabel: 'log-prob',
    description: 'Natural-log probability of the whole target under teacher forcing (sum over its tokens).',
    decimals: 2,
    higherIsBetter: true,
    kind: 'continuous',
    family: 'generation',
    ...plain,
    range: { min: null, max: 0 },
    compute: (r) => targetLogprob(r.logprobs),
  },
  {
    id: 'mean_token_logprob',
    label: 'Mean token log-prob',
    shortLabel: 'mean tok lp',
    description: 'Target log-prob divided by the number of target tokens.',
    decimals: 3,
    higherIsBetter: true,
    kind: 'continuous',
    family: 'generation',
    ...plain,
    range: { min: null, max: 0 },
    compute: (r) => meanTokenLogprob(r.logprobs),
  },
  {
    id: 'per_token_prob',
    label: 'Per-token probability',
    shortLabel: 'per-token p',
    description: 'Geometric mean of the target token probabilities, p = exp(mean token log-prob).',
    decimals: 3,
    higherIsBetter: true,
    kind: 'continuous',
    family: 'generation',
    ...plain,
    range: { min: 0, max: 1 },
    compute: (r) => perTokenProb(r.logprobs),
  },
  {
    id: 'greedy_consistency',
    label: 'Greedy consistency',
    shortLabel: 'greedy',
    description: 'Every target token is the most likely next token under teacher forcing (1) or not (0).',
    decimals: 2,
    higherIsBetter: true,
    kind: 'discontinuous',
    family: 'generation',
    ...plain,
    binary: true,
    range: { min: 0, max: 1 },
    compute: (r) => greedyConsistency(r.targetIsArgmax),
  },
  {
    id: 'predicted_exact_match',
    label: 'Predicted exact match (p^L)',
    shortLabel: 'p^L',
    description: 'Probability of producing the whole target, p^L = exp(target log-prob); smooth but nonlinear in p.',
    decimals: 2,
    higherIsBetter: true,
    kind: 'continuous',
    family: 'generation',
    ...plain,
    range: { min: 0, max: 1 },
    compute: (r) => predictedExactMatch(r.logprobs),
  },
  {
    id: 'mc_grade',
    label: 'Multiple-choice grade',
    shortLabel: 'MC grade',
    description: 'The choice with the highest log-likelihood is the answer (1) or not (0); lm-eval-harness acc.',
    decimals: 2,
    higherIsBetter: true,
    kind: 'discontinuous',
    family: 'choice',
    ...plain,
    binary: true,
    range: { min: 0, max: 1 },
    compute: (r) => mcGrade(r.choiceLogprobs, r.answerIndex),
  },
  {
    id: 'mc_grade_norm',
    label: 'Multiple-choice grade (length-normalized)',
    shortLabel: 'MC grade norm',
    description: 'Like the grade, with each log-likelihood divided by the choice length in characters; lm-eval-harness acc_norm.',
    decimals: 2,
    higherIsBetter: true,
    kind: 'discontinuous',
    family: 'choice',
    ...plain,
    binary: true,
    range: { min: 0, max: 1 },
    compute: (r) => mcGradeNorm(r.choiceLogprobs, r.choices, r.answerIndex),
  },
  {
    id: 'brier_score',
    label: 'Brier score',
    shortLabel: 'Brier',
    description: 'Squared error between the softmax over choice log-likelihoods and the one-hot answer; lm-eval-harness brier_score.',
    decimals: 3,
    higherIsBetter: false,
    kind: 'continuous',
    family: 'choice',
    ...plain,
    range: { min: 0, max: 2 },
    compute: (r) => brierScore(r.choiceLogprobs, r.answerIndex),
  },
  {
    id: 'prob_correct',
    label: 'Probability of the correct choice',
    shortLabel: 'p(correct)',
    description: 'Softmax over choice log-likelihoods, taken at the answer.',
    decimals: 3,
    higherIsBetter: true,
    kind: 'continuous',
    family: 'choice',
    ...plain,
    range: { min: 0, max: 1 },
    compute: (r) => probCorrect(r.choiceLogprobs, r.answerIndex),
  },
] as const satisfies readonly MetricInfo[];

type Entry = (typeof METRICS)[number];
export type MetricId = Entry['id'];
export type GenerationMetricId = Extract<Entry, { family: 'generation' }>['id'];
export type ChoiceMetricId = Extract<Entry, { family: 'choice' }>['id'];

export const METRIC_IDS: readonly MetricId[] = METRICS.map((m) => m.id);
export const GENERATION_METRIC_IDS: readonly GenerationMetricId[] = METRICS.filter((m): m is Extract<Entry, { family: 'generation' }> => m.family === 'generation').map((m) => m.id);
export const CHOICE_METRIC_IDS: readonly ChoiceMetricId[] = METRICS.filter((m): m is Extract<Entry, { family: 'choice' }> => m.family === 'choice').map((m) => m.id);

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

/** Metric ids of one family (generation or choice) in registry order. */
export function metricIdsOf(family: MetricFamily): readonly MetricId[] {
  return family === 'generation' ? GENERATION_METRIC_IDS : CHOICE_METRIC_IDS;
}

/** Whether a value is one this metric can take (range, 0/1, whole numbers, null only where allowed). */
export function isValidMetricValue(info: MetricInfo, value: unknown): boolean {
  if (value === null) return info.nullable;
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (info.binary && value !== 0 && value !== 1) return false;
  if (info.integer && !Number.isInteger(value)) return false;
  if (info.range.min !== null && value < info.range.min) return false;
  // Log-probs may exceed 0 by float rounding only up to LOGPROB_TOLERANCE before clamping; stored values are clamped.
  if (info.range.max !== null && value > info.range.max) return false;
  return true;
}
