/**
 * JSON from outside (a link, a file, a Hub listing) checked for size and nesting depth before
 * JSON.parse sees it. Deeply nested input ("[[[[…") makes JSON.parse and every schema walk after
 * it slow (and recursion-heavy); a single linear scan refuses it in well under a millisecond per
 * 100 kB. Refusal messages are written for people: what is wrong, where, what to do, and at most
 * a short excerpt of the input (never the input itself).
 */

export interface JsonGuardLimits {
  /** Deepest nesting of arrays and objects accepted (the outermost value is depth 1). */
  maxDepth: number;
  /** Largest input accepted, in UTF-8 bytes. */
  maxBytes: number;
  /** What the text is, for messages ("The share link", "The Hub's file listing"). Default "The JSON text". */
  what?: string;
}

export type JsonGuardReason = 'too-large' | 'too-deep' | 'invalid';

/** Longest excerpt of the input a message may quote (characters, before escaping). */
export const MAX_EXCERPT_CHARS = 32;

export class JsonGuardError extends Error {
  override name = 'JsonGuardError';
  constructor(
    readonly reason: JsonGuardReason,
    /** Character offset where the problem was found (null for a size refusal). */
    readonly offset: number | null,
    message: string,
  ) {
    super(message);
  }
}

/**
 * At most MAX_EXCERPT_CHARS characters around `at`, on one line, control characters escaped,
 * with "…" where the input goes on.
 */
export function excerptAt(text: string, at: number, maxChars: number = MAX_EXCERPT_CHARS): string {
  const half = Math.floor(maxChars / 2);
  const start = Math.max(0, Math.min(at - half, text.length - maxChars));
  const end = Math.min(text.length, start + maxChars);
  // Escape after cutting: the excerpt is bounded by the input characters it shows.
  const body = text.slice(start, end).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `${start > 0 ? '…' : ''}${body}${end < text.length ? '…' : ''}`;
}

/** UTF-8 length of a string without encoding it (stops counting past `limit`). */
function utf8Length(text: string, limit: number): number {
  let n = 0;
  for (let i = 0; i < text.length && n <= limit; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function formatBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} bytes`;
}

/**
 * Throws JsonGuardError when `text` is larger than maxBytes or nests deeper than maxDepth.
 * One pass, no allocation per character; strings (and their escapes) are skipped correctly,
 * so brackets inside strings do not count.
 */
export function checkJsonShape(text: string, limits: JsonGuardLimits): void {
  const what = limits.what ?? 'The JSON text';
  // Characters never outnumber UTF-8 bytes, so the length alone refuses most oversize input.
  if (text.length > limits.maxBytes || (text.length * 3 > limits.maxBytes && utf8Length(text, limits.maxBytes) > limits.maxBytes)) {
    throw new JsonGuardError(
      'too-large',
      null,
      `${what} is larger than the ${formatBytes(limits.maxBytes)} this lab accepts (it has at least ${formatBytes(Math.max(text.length, limits.maxBytes + 1))}). ` +
        'Check that it is the right file or link; nothing was read from it.',
    );
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limits.maxDepth) {
        throw new JsonGuardError(
          'too-deep',
          i,
          `${what} nests arrays or objects more than ${limits.maxDepth} levels deep (at character ${i}: "${excerptAt(text, i)}"). ` +
            'Nothing this lab writes is nested that deeply, so it was refused unread; check where it came from.',
        );
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/** The character offset a JSON.parse SyntaxError names, if it names one. */
function syntaxErrorOffset(err: unknown, text: string): number | null {
  const msg = err instanceof Error ? err.message : '';
  const m = /position (\d+)/.exec(msg);
  if (m) return Math.min(text.length, Number(m[1]));
  if (/Unexpected end of JSON input|Unterminated string/i.test(msg)) return text.length;
  return null;
}

/**
 * Check size and depth, then parse. Every refusal is a JsonGuardError whose message names the
 * problem and its place with a short excerpt; JSON.parse's own message (which can quote the
 * input at length) is never passed on.
 */
export function guardJson(text: string, limits: JsonGuardLimits): unknown {
  checkJsonShape(text, limits);
  try {
    return JSON.parse(text);
  } catch (err) {
    const what = limits.what ?? 'The JSON text';
    const at = syntaxErrorOffset(err, text);
    const where = at === null ? '' : at >= text.length ? ' (it ends too early)' : ` (at character ${at}: "${excerptAt(text, at)}")`;
    throw new JsonGuardError('invalid', at, `${what} is not valid JSON${where}. It may be cut off or edited by hand; get a fresh copy from where it came from.`);
  }
}
