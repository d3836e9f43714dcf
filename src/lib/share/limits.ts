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

/**
 * Whole-URL budget of a share link. RFC 9110 §4.1 recommends that senders and recipients
 * support URIs of at least 8000 octets, and chat apps, mail clients and link previewers
 * we tried keep links of that length intact; longer links get cut or rejected somewhere.
 */
export const LINK_BUDGET_CHARS = 8_000;
/** Room kept for origin + path when the caller does not pass its base URL. */
export const DEFAULT_BASE_URL_RESERVE = 200;
/** Decoding refuses longer fragments outright: twice the budget leaves room for long base URLs only. */
export const MAX_FRAGMENT_CHARS = 2 * LINK_BUDGET_CHARS;
/** Inflated payload cap: stops deflate bombs (a real 6×5×40 payload inflates to ~10 kB). */
export const MAX_INFLATED_BYTES = 2 * 1024 * 1024;
/**
 * Most work (resample draws + additions, recompute.ts recomputeWork) a link may ask its decoder
 * to spend recomputing aggregates: a 7-model × 5-variant × 40-item run recomputing all nine
 * metrics needs 14.4 million (~50 ms in Node). The encoder recomputes no more than this; a
 * crafted link that asks for more is refused as too large.
 */
export const MAX_RECOMPUTE_WORK = 24_000_000;
