import { levenshtein } from './levenshtein.ts';
import { codePoints, normalizeAnswer } from './normalize.ts';

/**
 * Token edit distance = Levenshtein(targetTokenIds, outputTokenIds), over raw integer ids.
 * Both sides use the same tokenization and keep the end token when present, so an output that
 * stops correctly matches a target that ends with the end token, and a run-on output pays one
 * insertion per extra token. The continuous metric Schaeffer et al. 2023 (§3) use for arithmetic.
 */
export function tokenEditDistance(targetTokenIds: readonly number[], outputTokenIds: readonly number[]): number {
  return levenshtein(targetTokenIds, outputTokenIds);
}

/**
 * Character edit distance = Levenshtein over the Unicode code points of the normalized
 * (whitespace-trimmed) target and output. Independent of the tokenizer, so it compares
 * across model families.
 */
export function charEditDistance(target: string, output: string): number {
  return levenshtein(codePoints(normalizeAnswer(target)), codePoints(normalizeAnswer(output)));
}
