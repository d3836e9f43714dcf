/** Per-item outputs that the engine produces; every metric is a pure function of them. */

/** One generation item (e.g. "What is 937 + 864?" → "1801"). */
export interface RawGenerationOutput {
  /** Reference answer text, e.g. "1801". */
  target: string;
  /** Model token ids of the target (may include an end token). */
  targetTokenIds: number[];
  /** Natural-log probability of each target token, teacher-forced. */
  targetLogprobs: number[];
  /** Whether each target token was the argmax under teacher forcing. */
  targetIsArgmax: boolean[];
  /** Greedy output text (special tokens removed). */
  outputText: string;
  /** Greedy output token ids (same tokenization as targetTokenIds, incl. end token if generated). */
  outputTokenIds: number[];
  /** Other accepted answers: exact match counts any of them. */
  alternatives?: string[];
}

/** One multiple-choice item. */
export interface RawChoiceOutput {
  /**
   * Choice texts without the delimiter that precedes them in the scored continuation: lm-eval's
   * acc_norm divides by len(choice) of doc_to_choice, which has no target_delimiter.
   */
  choices: string[];
  /** Summed log-likelihood of each continuation given the context. */
  choiceLogprobs: number[];
  /** Index of the correct continuation in `choices`. */
  answerIndex: number;
}

export type Binary = 0 | 1;

import type { ChoiceMetricId, GenerationMetricId } from './registry.ts';
export type { ChoiceMetricId, GenerationMetricId, MetricId } from './registry.ts';

/** Scores of one generation item, keyed by registry id (null: the metric does not apply). */
export type ItemMetrics = { [K in GenerationMetricId]: number | null };

/** Scores of one multiple-choice item. */
export type ChoiceMetrics = { [K in ChoiceMetricId]: number };
