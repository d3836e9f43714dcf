/** Size limits of what the share path accepts: the run-size limits of the results core, plus link budgets. */
export * from '../results/limits.ts';

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
