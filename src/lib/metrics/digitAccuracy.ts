import { MetricError } from './errors.ts';

/**
 * A number written as its sign and its ASCII digits, e.g. "-1,801" → {negative: true, digits: "1801"}.
 * Rule: the digits are every character 0-9 in order; everything else (spaces, commas, a decimal
 * point, words) is dropped. The number is negative iff the character right before its first
 * digit is '-' (U+002D) or '−' (U+2212). Leading zeros are kept: "007" has three digits.
 */
export interface SignedDigits {
  negative: boolean;
  digits: string;
}

export function toSignedDigits(text: string): SignedDigits {
  const first = text.search(/[0-9]/);
  if (first < 0) return { negative: false, digits: '' };
  const before = first > 0 ? text[first - 1] : '';
  return { negative: before === '-' || before === '\u2212', digits: text.replace(/[^0-9]/g, '') };
}

/** Whether digit accuracy applies to a target, i.e. the target contains at least one digit. */
export function hasDigits(target: string): boolean {
  return /[0-9]/.test(target);
}

/**
 * Digit accuracy aligned from the right (units with units, tens with tens):
 *   t, o = digit strings of target and output; D = max(|t|, |o|)
 *   correct = #{k in 0..D-1 : t[|t|-1-k] and o[|o|-1-k] both exist and are equal}
 * The sign counts as one more position only when target or output is negative (it is right iff
 * both are negative), so a sign error costs one position and all-positive tasks are unaffected:
 *   accuracy = (correct + [both negative]) / (D + 1)   if either is negative
 *   accuracy = correct / D                              otherwise
 * A missing digit (output shorter or longer than the target) counts as wrong.
 * A partial-credit, continuous-ish metric for arithmetic (cf. Schaeffer et al. 2023, §3).
 * Throws MetricError when the target has no digit: the metric is undefined there.
 */
export function digitAccuracy(target: string, output: string): number {
  const t = toSignedDigits(target);
  if (t.digits.length === 0) {
    throw new MetricError(
      `Digit accuracy needs a numeric target, but "${target}" contains no digit 0-9; use exact match or edit distance for this task.`,
    );
  }
  const o = toSignedDigits(output);
  const positions = Math.max(t.digits.length, o.digits.length);
  let correct = 0;
  for (let k = 0; k < positions; k++) {
    const ti = t.digits.length - 1 - k;
    const oi = o.digits.length - 1 - k;
    if (ti >= 0 && oi >= 0 && t.digits[ti] === o.digits[oi]) correct++;
  }
  if (!t.negative && !o.negative) return correct / positions;
  return (correct + (t.negative && o.negative ? 1 : 0)) / (positions + 1);
}
