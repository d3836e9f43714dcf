/**
 * Levenshtein distance between two integer sequences: the least number of single-element
 * insertions, deletions and substitutions (each cost 1) that turn `a` into `b`.
 * Used for token ids (token edit distance) and Unicode code points (character edit distance).
 */
export function levenshtein(a: readonly number[], b: readonly number[]): number {
  if (a.length < b.length) return levenshtein(b, a); // keep the DP row as short as possible
  if (b.length === 0) return a.length;
  // prev[j] = distance between a[0..i) and b[0..j); two rows suffice.
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let curr = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    curr[0] = i;
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      const substitution = prev[j - 1] + (ai === b[j - 1] ? 0 : 1);
      curr[j] = Math.min(prev[j] + 1, curr[j - 1] + 1, substitution);
    }
    [prev, curr] = [curr, prev];
  }
  return prev[b.length];
}
