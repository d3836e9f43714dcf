import type { Operation } from '../spec/schema.ts';

export interface ArithmeticMeta {
  operation: Operation;
  digits: number;
  a: number;
  b: number;
}

/**
 * An item scored by teacher forcing + greedy generation. Multiple-choice items (several
 * continuations, one log-likelihood each) will be a sibling `kind: 'choice'` type that shares
 * id/prompt/variant/meta, so runs and results hold both without reshaping.
 */
export interface GenerationItem {
  kind: 'generation';
  /** Stable within a spec: "<operation>-<digits>d-<index>". */
  id: string;
  /** Task variant the item belongs to, e.g. "add/3d": one chart line per variant. */
  variant: string;
  /** The full context given to the model, k-shot examples included. */
  prompt: string;
  /** The reference continuation (lm-eval style: a leading space belongs here, not to the prompt). */
  target: string;
  /** Whether the model's end token is part of the target (the bundled ladder is trained with one). */
  endToken: boolean;
  /** Generation stops at any of these strings (besides the end token). */
  stop: string[];
  meta: ArithmeticMeta;
}

export interface ChoiceItem {
  kind: 'choice';
  id: string;
  variant: string;
  prompt: string;
  choices: string[];
  answerIndex: number;
  meta: Record<string, string | number>;
}

export type TaskItem = GenerationItem | ChoiceItem;
