/**
 * encodeShareLink: a RunResult → a URL fragment within the link budget. Tries, in order,
 *   1. exact aggregates + per-item results with log-probs in steps of 1/256, 1/64, 1/16 nat,
 *   2. the same with float32 aggregates, 3. exact aggregates only, 4. float32 aggregates only,
 * and returns the first that fits: per-item results are worth more than the digits past the
 * 7th of a mean, and nothing is dropped silently (the result says what the link holds).
 */
import type { RunResult } from '../run/results.ts';
import { encodeBase64url } from './base64url.ts';
import { LinkDecodeError, LinkEncodeError } from './errors.ts';
import { deflateMax } from './inflate.ts';
import { compactModelItems, LOGPROB_STEPS, type LogprobSteps } from './item-columns.ts';
import { buildItemTable } from './item-table.ts';
import { decodeShareLink } from './link-decode.ts';
import { LINK_PREFIX } from './link-format.ts';
import { DEFAULT_BASE_URL_RESERVE, LINK_BUDGET_CHARS } from './limits.ts';
import { writePayload, type PayloadInput } from './payload-write.ts';

export interface ShareLinkOptions {
  /** The page URL without fragment (origin + path + query); its length counts against the budget. */
  baseUrl?: string;
  /** Whole-URL budget in characters (default 8000, see docs/share-format.md). */
  maxChars?: number;
  /** Set false for an aggregates-only link. */
  items?: boolean;
}

export interface ShareLink {
  /** "#r1.…", to append to the page URL. */
  fragment: string;
  includesItems: boolean;
  /** Target log-prob resolution of the items (steps per nat), null without items. */
  logprobSteps: LogprobSteps | null;
  /** 'exact' unless float32 aggregates were needed to fit per-item results (SharedRun.precision). */
  precision: 'exact' | 'float32';
  /** Length of the fragment in bytes (= characters: it is ASCII). */
  bytes: number;
  /** The budget the fragment had to fit. */
  budget: number;
}

function compactItems(result: RunResult, logprobSteps: LogprobSteps): PayloadInput['items'] {
  const table = buildItemTable(result.models);
  if (!table || table.ids.length === 0) return null;
  const columns = result.models.map((m, i) => {
    const index = table.index[i];
    return index ? compactModelItems(m, index, logprobSteps) : null;
  });
  // A model whose items do not fit the layout would be missing silently: drop items instead.
  if (columns.some((c, i) => c === null && table.index[i] !== null)) return null;
  return { table, columns, logprobSteps };
}

type Attempt = Omit<PayloadInput, 'result'>;

/** Richest first: exact aggregates before fine log-probs, any items before none. */
function attempts(result: RunResult, withItems: boolean): Attempt[] {
  const items = withItems ? LOGPROB_STEPS.map((steps) => compactItems(result, steps)) : [];
  const out: Attempt[] = [];
  for (const precision of ['exact', 'float32'] as const) for (const it of items) if (it) out.push({ items: it, precision });
  out.push({ items: null, precision: 'exact' }, { items: null, precision: 'float32' });
  return out;
}

export function encodeShareLink(result: RunResult, opts: ShareLinkOptions = {}): ShareLink {
  const budget = (opts.maxChars ?? LINK_BUDGET_CHARS) - (opts.baseUrl?.length ?? DEFAULT_BASE_URL_RESERVE);
  let shortest = Infinity;
  let invalid: LinkDecodeError | null = null;
  for (const attempt of attempts(result, opts.items !== false)) {
    const fragment = LINK_PREFIX + encodeBase64url(deflateMax(writePayload({ result, ...attempt })));
    shortest = Math.min(shortest, fragment.length);
    if (fragment.length > budget) continue;
    // Never hand out a link this lab cannot open: decode it once (a few ms). If per-item data
    // is what breaks it (say, item ids with spaces), a leaner attempt may still work.
    try {
      decodeShareLink(fragment);
    } catch (e) {
      if (!(e instanceof LinkDecodeError)) throw e;
      invalid ??= e;
      continue;
    }
    return { fragment, includesItems: attempt.items !== null, logprobSteps: attempt.items?.logprobSteps ?? null, precision: attempt.precision, bytes: fragment.length, budget };
  }
  if (invalid) {
    throw new LinkEncodeError(`This run cannot be shared as a link because it is not a valid run: ${invalid.issues.slice(0, 2).join('; ') || invalid.message}`, 'invalid-run');
  }
  throw new LinkEncodeError(
    `This run is too large for a link (${shortest.toLocaleString('en-US')} characters; a link may have at most ${budget.toLocaleString('en-US')}). Download the run as a JSON file and share the file instead.`,
    'too-long',
    shortest,
    budget,
  );
}
