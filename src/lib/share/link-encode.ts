/**
 * encodeShareLink: a RunResult → a URL fragment (link format 2) within the link budget. Tries,
 * in order,
 *   1. exact aggregates + per-item results with log-probs in steps of 1/256, 1/64, 1/16 nat,
 *   2. the same with float32 aggregates, 3. exact aggregates only, 4. float32 aggregates only,
 * and returns the first that fits and decodes to the sender's numbers: per-item results are
 * worth more than the digits past the 7th of a mean, and nothing is dropped silently (the
 * result says what the link holds). With per-item results, the aggregates the decoder can
 * recompute from them bit for bit are left out (docs/share-format.md).
 */
import { intervalStyleOf, type RunResult } from '../results/types.ts';
import { sameMeasures } from './measures.ts';
import { encodeBase64url } from './base64url.ts';
import { LinkDecodeError, LinkEncodeError } from './errors.ts';
import { deflateMax } from './inflate.ts';
import { compactModelItems, LOGPROB_STEPS, type LogprobSteps } from './item-columns.ts';
import { buildItemTable } from './item-table.ts';
import { decodeShareLink } from './link-decode.ts';
import { LINK_VERSION } from './link-format.ts';
import { DEFAULT_BASE_URL_RESERVE, LINK_BUDGET_CHARS } from './limits.ts';
import { roundF32, type Rounding } from './numbers.ts';
import { writePayload, type EstimateCache, type PayloadInput } from './payload-write.ts';
import type { SharedRun } from './shared-run.ts';

export interface ShareLinkOptions {
  /** The page URL without fragment (origin + path + query); its length counts against the budget. */
  baseUrl?: string;
  /** Whole-URL budget in characters (default 8000, see docs/share-format.md). */
  maxChars?: number;
  /** Set false for an aggregates-only link. */
  items?: boolean;
}

export interface ShareLink {
  /** "#r2.…", to append to the page URL. */
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
  /**
   * How many aggregate numbers and emergence scores the link leaves to the decoder, which
   * recomputes them bit for bit from the per-item results and aggregates (format 2).
   */
  recomputed?: number;
  /** Whether the link carries the imported task's examples (else the task file must be shared too). */
  includesTask?: boolean;
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

type Attempt = Omit<PayloadInput, 'result' | 'estimates'>;

/**
 * Richest first: exact aggregates before fine log-probs, any items before none. Each is tried
 * with recomputed numbers first, then with every number stored (used only if the decoder
 * would not reproduce the sender's numbers, which the encoder checks; see verify()).
 */
function attempts(result: RunResult, withItems: boolean): Attempt[] {
  const items = withItems ? LOGPROB_STEPS.map((steps) => compactItems(result, steps)) : [];
  const out: Attempt[] = [];
  // Stored emergence measures can outgrow the budget. Per-item results matter more (the page
  // recomputes the measures from them, log-prob metrics then carrying the items' rounding), so
  // the attempts with items are tried again without measures before any attempt without items.
  const withMeasures = result.emergence_measures ? [true, false] : [true];
  const both = (a: Omit<Attempt, 'recompute' | 'version'>) => out.push({ ...a, version: LINK_VERSION, recompute: true }, { ...a, version: LINK_VERSION, recompute: false });
  // An imported task's examples come first (without them the link cannot be re-run), then items.
  for (const withTask of result.task_data ? [true, false] : [false]) {
    for (const measures of withMeasures) {
      for (const precision of ['exact', 'float32'] as const) for (const it of items) if (it) both({ items: it, precision, withTask, measures });
    }
    for (const measures of withMeasures) {
      both({ items: null, precision: 'exact', withTask, measures });
      both({ items: null, precision: 'float32', withTask, measures });
    }
  }
  return out;
}

/** The float32 contract (SharedRun.precision): x is the sender's value or its float32 rounding toward `rounding`. */
function within(x: number, sender: number, precision: 'exact' | 'float32', rounding: Exclude<Rounding, 'exact'>): boolean {
  if (Object.is(x, sender)) return true;
  return precision === 'float32' && Math.abs(sender) <= 3.4028234663852886e38 && Object.is(x, roundF32(sender, rounding));
}

/**
 * Whether a decoded link shows the sender's numbers: every aggregate and emergence score bit
 * for bit ('exact'), or within the float32 contract. A description of the first difference,
 * or null.
 */
export function differenceFromRun(shared: SharedRun, result: RunResult): string | null {
  const { precision } = shared;
  if (shared.models.length !== result.models.length) return 'model count';
  for (const [i, m] of result.models.entries()) {
    const got = shared.models[i].aggregates.variants;
    const want = m.aggregates.variants;
    if (got.length !== want.length) return `${m.id}: variant count`;
    for (const [j, a] of want.entries()) {
      const b = got[j];
      if (b.variant !== a.variant || b.n !== a.n) return `${m.id} ${a.variant}: variant`;
      const ids = Object.keys(a.metrics);
      if (Object.keys(b.metrics).length !== ids.length) return `${m.id} ${a.variant}: metric count`;
      for (const id of ids) {
        const c = a.metrics[id];
        const d = Object.hasOwn(b.metrics, id) ? b.metrics[id] : undefined;
        if (!d || d.n !== c.n) return `${m.id} ${a.variant} ${id}: n`;
        if (!within(d.mean, c.mean, precision, 'f32-nearest') || !within(d.lo, c.lo, precision, 'f32-down') || !within(d.hi, c.hi, precision, 'f32-up')) {
          return `${m.id} ${a.variant} ${id}: ${JSON.stringify(d)} ≠ ${JSON.stringify(c)}`;
        }
      }
    }
  }
  // Emergence measures travel exactly (stored as JSON or recomputed from items, checked here).
  if (shared.emergenceMeasures && result.emergence_measures && !sameMeasures(shared.emergenceMeasures, result.emergence_measures)) return 'emergence measures';
  if (shared.intervals !== intervalStyleOf(result)) return 'interval method';
  const variants = Object.keys(result.emergence);
  if (Object.keys(shared.emergence).length !== variants.length) return 'emergence variants';
  for (const variant of variants) {
    const want = result.emergence[variant];
    const got = Object.hasOwn(shared.emergence, variant) ? shared.emergence[variant] : undefined;
    if (!got || Object.keys(got).length !== Object.keys(want).length) return `emergence ${variant}`;
    for (const [id, x] of Object.entries(want)) {
      if (!Object.hasOwn(got, id) || !within(got[id], x, precision, 'f32-nearest')) return `emergence ${variant} ${id}: ${got[id]} ≠ ${x}`;
    }
  }
  return null;
}

export function encodeShareLink(result: RunResult, opts: ShareLinkOptions = {}): ShareLink {
  const budget = (opts.maxChars ?? LINK_BUDGET_CHARS) - (opts.baseUrl?.length ?? DEFAULT_BASE_URL_RESERVE);
  let shortest = Infinity;
  let invalid: LinkDecodeError | null = null;
  const estimates: EstimateCache = new Map();
  for (const attempt of attempts(result, opts.items !== false)) {
    const payload = writePayload({ result, ...attempt, estimates });
    const fragment = `#r${attempt.version}.` + encodeBase64url(deflateMax(payload.bytes));
    shortest = Math.min(shortest, fragment.length);
    if (fragment.length > budget) continue;
    // Never hand out a link this lab cannot open or that would show other numbers than the
    // sender's: decode it once (tens of ms). If per-item data is what breaks it (say, item ids
    // with spaces), a leaner attempt may still work.
    let shared: SharedRun;
    try {
      shared = decodeShareLink(fragment);
    } catch (e) {
      if (!(e instanceof LinkDecodeError)) throw e;
      invalid ??= e;
      continue;
    }
    if (differenceFromRun(shared, result) !== null) continue;
    return {
      fragment,
      includesItems: attempt.items !== null,
      includesTask: Boolean(attempt.withTask),
      logprobSteps: attempt.items?.logprobSteps ?? null,
      precision: attempt.precision,
      bytes: fragment.length,
      budget,
      recomputed: payload.recomputed,
    };
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
