/**
 * Numbers of the link payload. Aggregates are mostly fractions k/n (exact match of 40 items:
 * 0.475) or raw doubles (log-prob means); a fraction costs a byte or two instead of eight.
 * The encoder uses a short form only when it decodes to the very same double, so "exact"
 * precision is bit-exact. Each number has a one-byte tag; bodies go to separate streams
 * (small integers, float32 byte planes, float64 byte planes) because like bytes next to like
 * bytes deflate best.
 */
import { ByteReader, PayloadError, type ByteWriter } from './bytes.ts';

export const TAG_F64 = 0;
/** value = k / d, k a zigzag varint, d known to both sides (a cell's n, or 1). */
export const TAG_RATIONAL = 1;
export const TAG_F32 = 2;

/** How the encoder may round a value that is not a short fraction. */
export type Rounding = 'exact' | 'f32-down' | 'f32-up' | 'f32-nearest';

const F32_MAX = 3.4028234663852886e38;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 next to f (a float32 value) in direction dir (+1 up, −1 down). */
function stepF32(f: number, dir: 1 | -1): number {
  if (f === 0) {
    u32[0] = 1; // smallest subnormal
    return dir * f32[0];
  }
  f32[0] = f;
  u32[0] += f > 0 === dir > 0 ? 1 : -1;
  return f32[0];
}

/** float32 rounding of x toward the requested side, so rounded intervals only widen. */
export function roundF32(x: number, rounding: Exclude<Rounding, 'exact'>): number {
  let f = Math.fround(x);
  if (rounding === 'f32-down' && f > x) f = stepF32(f, -1);
  if (rounding === 'f32-up' && f < x) f = stepF32(f, 1);
  return f;
}

/** Byte planes: byte 0 of every value, then byte 1, … (the exponent bytes repeat a lot). */
function planes(values: readonly number[], width: 4 | 8): Uint8Array {
  const raw = new Uint8Array(values.length * width);
  const view = new DataView(raw.buffer);
  values.forEach((x, i) => (width === 4 ? view.setFloat32(i * 4, x, true) : view.setFloat64(i * 8, x, true)));
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < values.length; i++) for (let b = 0; b < width; b++) out[b * values.length + i] = raw[i * width + b];
  return out;
}

function unplanes(bytes: Uint8Array, count: number, width: 4 | 8): number[] {
  const raw = new Uint8Array(count * width);
  for (let i = 0; i < count; i++) for (let b = 0; b < width; b++) raw[i * width + b] = bytes[b * count + i];
  const view = new DataView(raw.buffer);
  return Array.from({ length: count }, (_, i) => (width === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true)));
}

export class NumberWriter {
  private readonly tags: number[] = [];
  private readonly f32s: number[] = [];
  private readonly f64s: number[] = [];
  /** Small integers: fractions' numerators and anything the caller adds with int(). */
  constructor(private readonly ints: ByteWriter) {}

  int(n: number): void {
    this.ints.varuint(n);
  }

  write(x: number, denominator: number, rounding: Rounding): void {
    const k = Math.round(x * denominator) + 0; // + 0 turns −0 into 0: −0 must stay a raw double
    if (Number.isSafeInteger(k) && Math.abs(k) < 2 ** 40 && Object.is(k / denominator, x)) {
      this.tags.push(TAG_RATIONAL);
      this.ints.varint(k);
      return;
    }
    const r = rounding !== 'exact' && Math.abs(x) <= F32_MAX ? roundF32(x, rounding) : NaN;
    if (Number.isFinite(r)) {
      this.tags.push(TAG_F32);
      this.f32s.push(r);
      return;
    }
    this.tags.push(TAG_F64);
    this.f64s.push(x);
  }

  /** tags count · tags · ints length · ints · float32 planes · float64 planes. */
  finish(out: ByteWriter, ints: Uint8Array): void {
    out.varuint(this.tags.length);
    out.bytes(Uint8Array.from(this.tags));
    out.varuint(ints.length);
    out.bytes(ints);
    out.bytes(planes(this.f32s, 4));
    out.bytes(planes(this.f64s, 8));
  }
}

export class NumberReader {
  private next = 0;
  private n32 = 0;
  private n64 = 0;
  readonly ints: ByteReader;
  private readonly tags: Uint8Array;
  private readonly f32s: number[];
  private readonly f64s: number[];

  /** Reads the streams NumberWriter.finish wrote; `expected` is the count the header implies. */
  constructor(r: ByteReader, expected: number) {
    if (r.varuint() !== expected) throw new PayloadError('the number of values does not match the header');
    this.tags = r.bytes(expected);
    this.ints = new ByteReader(r.bytes(r.varuint()));
    let c32 = 0;
    let c64 = 0;
    for (const t of this.tags) {
      if (t === TAG_F32) c32++;
      else if (t === TAG_F64) c64++;
      else if (t !== TAG_RATIONAL) throw new PayloadError(`unknown number tag ${t}`);
    }
    this.f32s = unplanes(r.bytes(c32 * 4), c32, 4);
    this.f64s = unplanes(r.bytes(c64 * 8), c64, 8);
  }

  read(denominator: number): number {
    if (this.next >= this.tags.length) throw new PayloadError('more numbers than announced');
    const tag = this.tags[this.next++];
    const x = tag === TAG_RATIONAL ? this.ints.varint() / denominator : tag === TAG_F32 ? this.f32s[this.n32++] : this.f64s[this.n64++];
    if (!Number.isFinite(x)) throw new PayloadError('a number is not finite');
    return x;
  }

  get done(): boolean {
    return this.next === this.tags.length && this.ints.remaining === 0;
  }
}
