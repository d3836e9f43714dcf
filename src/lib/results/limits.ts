/**
 * Size limits of everything the share path accepts. Files and links come from strangers, so
 * every collection and string is bounded before anything is allocated for it.
 */
import { MAX_MODELS } from '../spec/schema.ts';

export { MAX_MODELS };

/** Items across all models of one run (16 models × 8 variants × 1000 items would be 128k: too big to chart). */
export const MAX_RUN_ITEMS = 50_000;
/** Items of one model: every variant of one spec (8 digit counts × 1000 items). */
export const MAX_MODEL_ITEMS = 8_000;
/** Variants per model (digit counts today; room for future tasks). */
export const MAX_VARIANTS = 64;
/** Metrics per variant aggregate. */
export const MAX_METRICS = 32;
/** Tokens of one target or output. */
export const MAX_TOKENS = 4_096;

/** Longest strings by role (UTF-16 code units). */
export const MAX_TEXT = {
  id: 200,
  prompt: 20_000,
  target: 1_000,
  output: 20_000,
  error: 2_000,
  env: 1_000,
} as const;

/** A run file larger than this is refused before parsing (JSON of 50,000 items is ~50 MB). */
export const MAX_RUN_FILE_CHARS = 64 * 1024 * 1024;

