/**
 * Items a task produces. Two request types, as lm-evaluation-harness's output_type:
 * `generation` (teacher-forced target + greedy output) and `choice` (one log-likelihood per
 * continuation). Both share id, variant, prompt and meta, so runs hold either without reshaping.
 */

/** Free-form facts about an item (operands, digit count, example index): shown, never computed on. */
export type ItemMeta = Record<string, string | number>;

interface ItemBase {
  /** Stable within a spec, e.g. "add-3d-17" or "my_task/mc-42". */
  id: string;
  /** Task variant the item belongs to: one chart line per variant. */
  variant: string;
  /** The full context given to the model, k-shot examples included. */
  prompt: string;
  meta: ItemMeta;
}

/** An item scored by teacher forcing + greedy generation. */
export interface GenerationItem extends ItemBase {
  kind: 'generation';
  /** The reference continuation (lm-eval style: a leading space belongs here, not to the prompt). */
  target: string;
  /** Other accepted answers (BIG-bench lists several targets): exact match counts any of them. */
  alternatives?: string[];
  /** Whether the model's end token is part of the target (the bundled ladder is trained with one). */
  endToken: boolean;
  /** Generation stops at any of these strings (besides the end token). */
  stop: string[];
}

/** An item scored by the log-likelihood of each continuation (lm-eval `multiple_choice`). */
export interface ChoiceItem extends ItemBase {
  kind: 'choice';
  /** Choice texts as the task states them (acc_norm divides by their length, as lm-eval does). */
  choices: string[];
  /** Prepended to every choice to form the scored continuation (lm-eval target_delimiter). */
  delimiter: string;
  /** Whether the model's end token follows each choice (models trained with one, like the bundled ladder). */
  endToken: boolean;
  /** Index of the correct choice (with target_scores: the first highest-scoring one). */
  answerIndex: number;
  /** BIG-bench target_scores in choice order, or null when the task has one right answer. */
  targetScores: number[] | null;
}

export type TaskItem = GenerationItem | ChoiceItem;
export type RequestType = TaskItem['kind'];

/** The continuation scored for choice k: delimiter + choice text. */
export function continuationOf(item: ChoiceItem, k: number): string {
  return item.delimiter + item.choices[k];
}
