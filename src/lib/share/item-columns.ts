/**
 * Compact per-item results (docs/share-format.md, "Items"): two bit columns, byte columns
 * for small integers, and the target log-prob quantized to 1/256, 1/64 or 1/16 nat. Columns
 * run across models (all exact-match bits, then all edit distances, …) because similar
 * bytes next to each other deflate best.
 */
import type { ModelRun } from '../results/types.ts';
import { PayloadError, type ByteReader, type ByteWriter } from './bytes.ts';
import type { SharedModelItems } from './shared-run.ts';

/**
 * Target log-prob resolutions, finest first: the encoder uses the finest that fits the link.
 * Steps of 1/256 nat round by at most 1/512 nat.
 */
export const LOGPROB_STEPS = [256, 64, 16] as const;
export type LogprobSteps = (typeof LOGPROB_STEPS)[number];
export const LOGPROB_Q_MAX = 0xffff;
export const SMALL_INT_MAX = 255;

/** Smallest fraction num/den (den ≤ 255) that is exactly x as a double, or null. */
export function smallFraction(x: number): { num: number; den: number } | null {
  for (let den = 1; den <= 255; den++) {
    const num = Math.round(x * den);
    if (num >= 0 && num <= den && num / den === x) return { num, den };
  }
  return null;
}

/**
 * Digit accuracies are fractions correct/positions with few positions. Byte code: 0 = null
 * (does not apply), 1..FRACTIONS.length = 1 + index into FRACTIONS (every reduced a/b in
 * [0, 1] with b ≤ 20, ascending), 255 = escape: the fraction follows in the escape column.
 */
export const FRACTION_MAX_DEN = 20;
export const DA_NULL = 0;
export const DA_ESCAPE = 255;
export const FRACTIONS: readonly { num: number; den: number }[] = (() => {
  const out: { num: number; den: number }[] = [];
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  for (let den = 1; den <= FRACTION_MAX_DEN; den++) for (let num = 0; num <= den; num++) if (gcd(num, den) === 1) out.push({ num, den });
  return out.sort((a, b) => a.num / a.den - b.num / b.den);
})();
const FRACTION_CODE = new Map(FRACTIONS.map((f, i) => [f.num / f.den, i + 1]));

/** The compact columns of a model's items, or null when one of them does not fit the layout. */
export function compactModelItems(model: ModelRun, index: number[], steps: LogprobSteps): SharedModelItems | null {
  const out: SharedModelItems = {
    index,
    exactMatch: [],
    greedyConsistency: [],
    tokenEditDistance: [],
    charEditDistance: [],
    digitAccuracyNum: [],
    digitAccuracyDen: [],
    targetTokens: [],
    targetLogprobQ: [],
  };
  for (const item of model.items) {
    // Multiple-choice items have no compact layout: such a model's link carries aggregates only.
    if (item.kind === 'choice') return null;
    const m = item.metrics;
    const L = item.target_token_ids.length;
    if ((m.exact_match !== 0 && m.exact_match !== 1) || (m.greedy_consistency !== 0 && m.greedy_consistency !== 1)) return null;
    const ted = m.token_edit_distance;
    const ced = m.char_edit_distance;
    const lp = m.target_logprob;
    if (ted === null || ced === null || lp === null) return null;
    if (!(Number.isInteger(ted) && ted >= 0)) return null;
    if (!(Number.isInteger(ced) && ced >= 0)) return null;
    if (!(L >= 1 && L <= SMALL_INT_MAX) || !(lp <= 0) || !Number.isFinite(lp)) return null;
    const da = m.digit_accuracy === null ? { num: 0, den: 0 } : smallFraction(m.digit_accuracy);
    if (!da) return null;
    out.exactMatch.push(m.exact_match as 0 | 1);
    out.greedyConsistency.push(m.greedy_consistency as 0 | 1);
    out.tokenEditDistance.push(Math.min(ted, SMALL_INT_MAX));
    out.charEditDistance.push(Math.min(ced, SMALL_INT_MAX));
    out.digitAccuracyNum.push(da.num);
    out.digitAccuracyDen.push(da.den);
    out.targetTokens.push(L);
    out.targetLogprobQ.push(Math.min(Math.round(-lp * steps) + 0, LOGPROB_Q_MAX));
  }
  return out;
}

function writeBits(w: ByteWriter, bits: readonly number[]): void {
  for (let i = 0; i < bits.length; i += 8) {
    let b = 0;
    for (let k = 0; k < 8 && i + k < bits.length; k++) b |= bits[i + k] << k;
    w.u8(b);
  }
}

function readBits(r: ByteReader, count: number): (0 | 1)[] {
  const bytes = r.bytes(Math.ceil(count / 8));
  const out: (0 | 1)[] = [];
  for (let i = 0; i < count; i++) out.push(((bytes[i >> 3] >> (i & 7)) & 1) as 0 | 1);
  // Padding bits must be zero: one payload, one meaning.
  if (count % 8 && bytes[bytes.length - 1] >> count % 8) throw new PayloadError('padding bits are set');
  return out;
}

function daCode(num: number, den: number): number {
  return den === 0 ? DA_NULL : (FRACTION_CODE.get(num / den) ?? DA_ESCAPE);
}

/**
 * Presence bitmaps of models with some items, then column by column across models:
 * exact-match bits, greedy bits, token edit distance, (char − token edit distance) mod 256,
 * target tokens L, digit-accuracy codes, escaped fractions (num, den), log-prob high bytes,
 * log-prob low bytes.
 */
export function writeItemColumns(w: ByteWriter, tableSize: number, models: readonly (SharedModelItems | null)[]): void {
  for (const m of models) {
    if (!m || m.index.length === tableSize) continue;
    const bits = new Array<number>(tableSize).fill(0);
    for (const i of m.index) bits[i] = 1;
    writeBits(w, bits);
  }
  const present = models.filter((m): m is SharedModelItems => m !== null);
  for (const m of present) writeBits(w, m.exactMatch);
  for (const m of present) writeBits(w, m.greedyConsistency);
  for (const m of present) for (const x of m.tokenEditDistance) w.u8(x);
  // Character and token edit distances are usually equal: their difference is mostly 0.
  for (const m of present) m.charEditDistance.forEach((c, i) => w.u8((c - m.tokenEditDistance[i]) & 0xff));
  for (const m of present) for (const x of m.targetTokens) w.u8(x);
  for (const m of present) m.digitAccuracyNum.forEach((num, i) => w.u8(daCode(num, m.digitAccuracyDen[i])));
  for (const m of present) {
    m.digitAccuracyNum.forEach((num, i) => {
      const den = m.digitAccuracyDen[i];
      if (daCode(num, den) === DA_ESCAPE) {
        w.u8(num);
        w.u8(den);
      }
    });
  }
  // High bytes, then low bytes: the high bytes are nearly constant and compress to little.
  for (const m of present) for (const q of m.targetLogprobQ) w.u8(q >> 8);
  for (const m of present) for (const q of m.targetLogprobQ) w.u8(q & 0xff);
}

function emptyColumns(index: number[]): SharedModelItems {
  return { index, exactMatch: [], greedyConsistency: [], tokenEditDistance: [], charEditDistance: [], digitAccuracyNum: [], digitAccuracyDen: [], targetTokens: [], targetLogprobQ: [] };
}

export function readItemColumns(r: ByteReader, tableSize: number, presence: readonly ('all' | 'some' | 'none')[]): (SharedModelItems | null)[] {
  const models = presence.map((p) => {
    if (p === 'none') return null;
    if (p === 'all') return emptyColumns(Array.from({ length: tableSize }, (_, i) => i));
    const index = readBits(r, tableSize).flatMap((b, i) => (b ? [i] : []));
    if (index.length === 0 || index.length === tableSize) throw new PayloadError('a presence bitmap says "some" but lists none or all');
    return emptyColumns(index);
  });
  const present = models.filter((m): m is SharedModelItems => m !== null);
  const column = (m: SharedModelItems): number[] => Array.from(r.bytes(m.index.length));
  for (const m of present) m.exactMatch = readBits(r, m.index.length);
  for (const m of present) m.greedyConsistency = readBits(r, m.index.length);
  for (const m of present) m.tokenEditDistance = column(m);
  for (const m of present) m.charEditDistance = column(m).map((d, i) => (m.tokenEditDistance[i] + d) & 0xff);
  for (const m of present) m.targetTokens = column(m);
  const codes = present.map(column);
  present.forEach((m, k) => {
    for (const code of codes[k]) {
      let f: { num: number; den: number };
      if (code === DA_NULL) f = { num: 0, den: 0 };
      else if (code === DA_ESCAPE) {
        f = { num: r.u8(), den: r.u8() };
        if (f.den === 0) throw new PayloadError('an escaped digit accuracy has denominator 0');
      }
      else if (code <= FRACTIONS.length) f = FRACTIONS[code - 1];
      else throw new PayloadError(`unknown digit-accuracy code ${code}`);
      m.digitAccuracyNum.push(f.num);
      m.digitAccuracyDen.push(f.den);
    }
  });
  const high = present.map(column);
  present.forEach((m, k) => {
    const low = r.bytes(m.index.length);
    m.targetLogprobQ = high[k].map((hi, i) => (hi << 8) | low[i]);
  });
  for (const m of present) checkColumns(m);
  return models;
}

function checkColumns(m: SharedModelItems): void {
  for (let i = 0; i < m.index.length; i++) {
    const num = m.digitAccuracyNum[i];
    const den = m.digitAccuracyDen[i];
    if (den === 0 ? num !== 0 : num > den) throw new PayloadError('a digit accuracy is not a fraction between 0 and 1');
    if (m.targetTokens[i] === 0) throw new PayloadError('an item has zero target tokens');
  }
}
