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

function tooLarge(what: string, maxBytes: number, atLeast: number): JsonGuardError {
  return new JsonGuardError(
    'too-large',
    null,
    `${what} is larger than the ${formatBytes(maxBytes)} this lab accepts (it has at least ${formatBytes(atLeast)}). ` +
      'Check that it is the right file or link; nothing was read from it.',
  );
}

/**
 * Throws JsonGuardError when `text` is larger than maxBytes or nests deeper than maxDepth.
 * One pass, no allocation per character; strings (and their escapes) are skipped correctly,
 * so brackets inside strings do not count.
 */
export function checkJsonShape(text: string, limits: JsonGuardLimits): void {
  const what = limits.what ?? 'The JSON text';
  // Characters never outnumber UTF-8 bytes: more characters than maxBytes is refused unscanned.
  if (text.length > limits.maxBytes) throw tooLarge(what, limits.maxBytes, text.length);
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
  // The exact UTF-8 size after the scan, which stops early at deep nesting.
  if (text.length * 3 > limits.maxBytes && utf8Length(text, limits.maxBytes) > limits.maxBytes) throw tooLarge(what, limits.maxBytes, limits.maxBytes + 1);
}

/**
 * Offset of the first character that makes `text` invalid JSON (RFC 8259), or text.length when
 * it ends too early. Run only after JSON.parse failed (its messages differ between engines and
 * can quote the input); depth is already bounded by checkJsonShape, so recursion is shallow.
 */
export function firstJsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (at: number): never => {
    throw at;
  };
  const literal = (word: string) => {
    for (let k = 0; k < word.length; k++) if (text[i + k] !== word[k]) fail(Math.min(i + k, text.length));
    i += word.length;
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c < 0x20) fail(i);
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail(i);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(i + 1 >= text.length ? text.length : i);
      } else i++;
    }
    fail(text.length);
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '-' || m[0] === '') fail(i);
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === undefined) fail(text.length);
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail(Math.min(i, text.length));
        string();
        ws();
        if (text[i] !== ':') fail(Math.min(i, text.length));
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail(Math.min(i, text.length));
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail(Math.min(i, text.length));
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    fail(i);
  };
  try {
    value();
    ws();
    return i < text.length ? i : text.length;
  } catch (at) {
    if (typeof at === 'number') return at;
    throw at;
  }
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
  } catch {
    const what = limits.what ?? 'The JSON text';
    const at = firstJsonErrorOffset(text);
    const where = at >= text.length ? ' (it ends too early)' : ` (at character ${at}: "${excerptAt(text, at)}")`;
    throw new JsonGuardError('invalid', at, `${what} is not valid JSON${where}. It may be cut off or edited by hand; get a fresh copy from where it came from.`);
  }
}
