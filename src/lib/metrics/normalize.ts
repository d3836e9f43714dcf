/**
 * Answer normalization shared by exact match and character edit distance: remove leading and
 * trailing whitespace only (String.prototype.trim: Unicode white space and line terminators).
 * Case, inner spaces and punctuation are kept, so "1,801" ≠ "1801" and "Paris" ≠ "paris".
 * The whitespace rule matters because greedy outputs often start with a space or end with "\n".
 */
export function normalizeAnswer(text: string): string {
  return text.trim();
}

/** Unicode code points of a string (a surrogate pair such as an emoji is one element). */
export function codePoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    if (cp !== undefined) out.push(cp);
  }
  return out;
}
