/** A task file a visitor brought, normalized: what the lab generates items from and hashes. */
import type { ImportedFormat } from '../schema.ts';

export interface ImportedExample {
  input: string;
  /** Generation targets (BIG-bench `target`, a string or a list); empty when only target_scores is given. */
  targets: string[];
  /** Multiple choice: each choice with its score, in file order; null for generation examples. */
  targetScores: { choice: string; score: number }[] | null;
}

/** BIG-bench's formatting fields with its defaults filled in (bigbench/api/json_task.py). */
export interface ImportedFormatting {
  taskPrefix: string;
  exampleInputPrefix: string;
  exampleOutputPrefix: string;
  choicePrefix: string;
  appendChoicesToInput: boolean;
  fewShotSeparator: string;
}

export interface ImportedTaskData extends ImportedFormatting {
  format: ImportedFormat;
  name: string;
  description: string;
  /** BIG-bench `metrics` and `preferred_score`, kept for display (the lab scores every metric). */
  metrics: string[];
  preferredScore: string | null;
  examples: ImportedExample[];
}

/** A parsed task with the SHA-256 (hex) of its normalized content, as the spec names it. */
export interface ParsedTaskFile {
  data: ImportedTaskData;
  hash: string;
}

/** Defaults of BIG-bench JSON tasks when a field is absent (json_task.py JsonTask.__init__). */
export const BIGBENCH_DEFAULTS: ImportedFormatting = {
  taskPrefix: '',
  exampleInputPrefix: '\nQ: ',
  exampleOutputPrefix: '\nA: ',
  choicePrefix: '\n  choice: ',
  appendChoicesToInput: true,
  fewShotSeparator: '\n',
};

/**
 * JSONL files (BIG-Bench-Hard's layout, one {input, target} per line) carry no formatting: the
 * lab uses lm-evaluation-harness's BBH zero-shot form "Q: {input}\nA:" + " {target}".
 */
export const JSONL_DEFAULTS: ImportedFormatting = {
  taskPrefix: '',
  exampleInputPrefix: 'Q: ',
  exampleOutputPrefix: '\nA: ',
  choicePrefix: '\n  choice: ',
  appendChoicesToInput: true,
  fewShotSeparator: '\n\n',
};

/** Limits that keep a stranger's file from freezing the page. */
export const MAX_TASK_FILE_CHARS = 8 * 1024 * 1024;
export const MAX_EXAMPLES = 10_000;
export const MAX_INPUT_CHARS = 10_000;
export const MAX_TARGET_CHARS = 1_000;
export const MAX_TASK_CHOICES = 20;
export const MAX_PREFIX_CHARS = 2_000;
