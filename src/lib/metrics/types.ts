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
}

/** One multiple-choice item. */
export interface RawChoiceOutput {
  /** Continuation texts exactly as scored (including any leading space), as in lm-eval-harness. */
  choices: string[];
  /** Summed log-likelihood of each continuation given the context. */
  choiceLogprobs: number[];
  /** Index of the correct continuation in `choices`. */
  answerIndex: number;
}

export type Binary = 0 | 1;

/**
 * Scores of one generation item. Keys are snake_case ids shared with the METRICS registry.
 * A type alias (not an interface) so it is assignable to Record<string, number | null>.
 */
export type ItemMetrics = {
  exact_match: Binary;
  token_edit_distance: number;
  char_edit_distance: number;
  /** null when the target contains no digit (digit accuracy does not apply, e.g. a word answer). */
  digit_accuracy: number | null;
  target_logprob: number;
  mean_token_logprob: number;
  per_token_prob: number;
  greedy_consistency: Binary;
  predicted_exact_match: number;
};

/** Scores of one multiple-choice item (a type alias for the same reason). */
export type ChoiceMetrics = {
  mc_grade: Binary;
  mc_grade_norm: Binary;
  brier_score: number;
  prob_correct: number;
};

export type GenerationMetricId = keyof ItemMetrics;
export type ChoiceMetricId = keyof ChoiceMetrics;
export type MetricId = GenerationMetricId | ChoiceMetricId;
