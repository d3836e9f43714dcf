/**
 * Numbers of the link payload. Aggregates are mostly fractions k/n (exact match of 40 items:
 * 0.475) or raw doubles (log-prob means); a fraction costs a byte or two instead of eight.
 * The encoder uses a short form only when it decodes to the very same double, so "exact"
 * precision is bit-exact. Each number has a one-byte tag; bodies go to separate streams
 * (small integers, float32 byte planes, float64 byte planes, residuals) because like bytes
 * next to like bytes deflate best.
 *
 * Link format 2 adds numbers that the decoder computes itself (docs/share-format.md,
 * "Recomputed numbers"): RECOMPUTED has no body at all, NEAR64 / NEAR32 store only how far
 * (in steps of the float64 / float32 grid) the value is from the decoder's own estimate.
 */
import { ByteReader, PayloadError, type ByteWriter } from './bytes.ts';

export const TAG_F64 = 0;
/** value = k / d, k a zigzag varint, d known to both sides (a cell's n, or 1). */
export const TAG_RATIONAL = 1;
export const TAG_F32 = 2;
/** r2: value = the decoder's recomputation, bit for bit (no body). */
export const TAG_RECOMPUTED = 3;
/** r2: value = the float64 k grid steps from the decoder's estimate p (k in the residual planes). */
export const TAG_NEAR64 = 4;
/** r2: value = the float32 k grid steps from fround(p). */
export const TAG_NEAR32 = 5;

/** Link format versions the number streams know (1: tags 0–2, no residual planes; 2: all). */
export type NumberVersion = 1 | 2;

/** Residuals are zigzag integers below 2^48, stored as 6 byte planes. */
const RESIDUAL_BYTES = 6;
const RESIDUAL_LIMIT = 2 ** 47;

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

/**
 * Position of a finite double on the float64 grid: monotonic, consecutive doubles differ by
 * 1, −0 is −1 and +0 is 0. Distances between a value and a close estimate are small integers.
 */
const bits64 = new DataView(new ArrayBuffer(8));
const SIGN64 = 1n << 63n;
const MAX_FINITE64 = 0x7fefffffffffffffn;
export function ordinal64(x: number): bigint {
  bits64.setFloat64(0, x);
  const b = bits64.getBigUint64(0);
  return b & SIGN64 ? -(b & ~SIGN64) - 1n : b;
}

/** The finite double at a grid position, or null past the largest finite double. */
export function fromOrdinal64(o: bigint): number | null {
  const magnitude = o < 0n ? -o - 1n : o;
  if (magnitude > MAX_FINITE64) return null;
  bits64.setBigUint64(0, o < 0n ? magnitude | SIGN64 : magnitude);
  return bits64.getFloat64(0);
}

const bits32 = new DataView(new ArrayBuffer(4));
const MAX_FINITE32 = 0x7f7fffff;
/** ordinal64 for float32 values (x must be a float32). */
export function ordinal32(x: number): number {
  bits32.setFloat32(0, x);
  const b = bits32.getUint32(0);
  return b >= 0x80000000 ? -(b - 0x80000000) - 1 : b;
}

export function fromOrdinal32(o: number): number | null {
  const magnitude = o < 0 ? -o - 1 : o;
  if (magnitude > MAX_FINITE32) return null;
  bits32.setUint32(0, o < 0 ? magnitude + 0x80000000 : magnitude);
  return bits32.getFloat32(0);
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

/** How the writer may store a number, besides a fraction or a raw float. */
export interface WriteHint {
  /** The decoder's own estimate of the value (r2 only): a value near it is stored as a residual. */
  estimate?: number | null;
}

export class NumberWriter {
  private readonly tags: number[] = [];
  private readonly f32s: number[] = [];
  private readonly f64s: number[] = [];
  private readonly residuals: number[] = [];
  /** Small integers: fractions' numerators and anything the caller adds with int(). */
  constructor(
    private readonly ints: ByteWriter,
    readonly version: NumberVersion,
  ) {}

  int(n: number): void {
    this.ints.varuint(n);
  }

  /** r2: a number the decoder recomputes bit for bit (the caller has checked that it will). */
  recomputed(): void {
    if (this.version < 2) throw new Error('recomputed numbers need link format 2');
    this.tags.push(TAG_RECOMPUTED);
  }

  /** Stores x (or its float32 rounding) and returns the value the decoder will read. */
  write(x: number, denominator: number, rounding: Rounding, hint: WriteHint = {}): number {
    const k = Math.round(x * denominator) + 0; // + 0 turns −0 into 0: −0 must stay a raw double
    if (Number.isSafeInteger(k) && Math.abs(k) < 2 ** 40 && Object.is(k / denominator, x)) {
      this.tags.push(TAG_RATIONAL);
      this.ints.varint(k);
      return x;
    }
    const estimate = this.version >= 2 && hint.estimate !== undefined && hint.estimate !== null && Number.isFinite(hint.estimate) ? hint.estimate : null;
    const r = rounding !== 'exact' && Math.abs(x) <= F32_MAX ? roundF32(x, rounding) : NaN;
    if (Number.isFinite(r)) {
      const e = estimate === null ? NaN : Math.fround(estimate);
      if (Number.isFinite(e)) {
        const d = ordinal32(r) - ordinal32(e);
        if (Math.abs(d) < 2 ** 24) {
          this.tags.push(TAG_NEAR32);
          this.residuals.push(d);
          return r;
        }
      }
      this.tags.push(TAG_F32);
      this.f32s.push(r);
      return r;
    }
    if (estimate !== null) {
      const d = ordinal64(x) - ordinal64(estimate);
      if (d < BigInt(RESIDUAL_LIMIT) && d > -BigInt(RESIDUAL_LIMIT)) {
        this.tags.push(TAG_NEAR64);
        this.residuals.push(Number(d));
        return x;
      }
    }
    this.tags.push(TAG_F64);
    this.f64s.push(x);
    return x;
  }

  /** tags count · tags · ints length · ints · float32 planes · float64 planes · (r2) residual planes. */
  finish(out: ByteWriter, ints: Uint8Array): void {
    out.varuint(this.tags.length);
    out.bytes(Uint8Array.from(this.tags));
    out.varuint(ints.length);
    out.bytes(ints);
    out.bytes(planes(this.f32s, 4));
    out.bytes(planes(this.f64s, 8));
    if (this.version >= 2) out.bytes(residualPlanes(this.residuals));
  }
}

function residualPlanes(ks: readonly number[]): Uint8Array {
  const out = new Uint8Array(ks.length * RESIDUAL_BYTES);
  ks.forEach((k, i) => {
    let z = k < 0 ? -2 * k - 1 : 2 * k;
    for (let b = 0; b < RESIDUAL_BYTES; b++) {
      out[b * ks.length + i] = z % 256;
      z = Math.floor(z / 256);
    }
  });
  return out;
}

function unresidualPlanes(bytes: Uint8Array, count: number): number[] {
  return Array.from({ length: count }, (_, i) => {
    let z = 0;
    for (let b = RESIDUAL_BYTES - 1; b >= 0; b--) z = z * 256 + bytes[b * count + i];
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  });
}

/** A number the decoder completes from its own estimate (r2): RECOMPUTED, NEAR64 or NEAR32. */
export interface Deferred {
  tag: typeof TAG_RECOMPUTED | typeof TAG_NEAR64 | typeof TAG_NEAR32;
  /** Grid steps from the estimate (0 for RECOMPUTED). */
  steps: number;
}

export function isDeferred(x: number | Deferred): x is Deferred {
  return typeof x !== 'number';
}

/** The value of a deferred number, given the decoder's estimate (its recomputed value). */
export function resolveDeferred(d: Deferred, estimate: number): number {
  if (!Number.isFinite(estimate)) throw new PayloadError('a recomputed number is not finite');
  let x: number | null = estimate;
  if (d.tag === TAG_NEAR64) x = fromOrdinal64(ordinal64(estimate) + BigInt(d.steps));
  else if (d.tag === TAG_NEAR32) {
    const e = Math.fround(estimate);
    x = Number.isFinite(e) ? fromOrdinal32(ordinal32(e) + d.steps) : null;
  }
  if (x === null || !Number.isFinite(x)) throw new PayloadError('a number is not finite');
  return x;
}

export class NumberReader {
  private next = 0;
  private n32 = 0;
  private n64 = 0;
  private nr = 0;
  readonly ints: ByteReader;
  private readonly tags: Uint8Array;
  private readonly f32s: number[];
  private readonly f64s: number[];
  private readonly residuals: number[];

  /** Reads the streams NumberWriter.finish wrote; `expected` is the count the header implies. */
  constructor(r: ByteReader, expected: number, version: NumberVersion) {
    if (r.varuint() !== expected) throw new PayloadError('the number of values does not match the header');
    this.tags = r.bytes(expected);
    this.ints = new ByteReader(r.bytes(r.varuint()));
    let c32 = 0;
    let c64 = 0;
    let cr = 0;
    const maxTag = version >= 2 ? TAG_NEAR32 : TAG_F32;
    for (const t of this.tags) {
      if (t > maxTag) throw new PayloadError(`unknown number tag ${t}`);
      if (t === TAG_F32) c32++;
      else if (t === TAG_F64) c64++;
      else if (t === TAG_NEAR64 || t === TAG_NEAR32) cr++;
    }
    this.f32s = unplanes(r.bytes(c32 * 4), c32, 4);
    this.f64s = unplanes(r.bytes(c64 * 8), c64, 8);
    this.residuals = version >= 2 ? unresidualPlanes(r.bytes(cr * RESIDUAL_BYTES), cr) : [];
  }

  /** The next number, or what the decoder needs to complete it (r2). */
  readAny(denominator: number): number | Deferred {
    if (this.next >= this.tags.length) throw new PayloadError('more numbers than announced');
    const tag = this.tags[this.next++];
    if (tag === TAG_RECOMPUTED) return { tag, steps: 0 };
    if (tag === TAG_NEAR64 || tag === TAG_NEAR32) return { tag, steps: this.residuals[this.nr++] };
    const x = tag === TAG_RATIONAL ? this.ints.varint() / denominator : tag === TAG_F32 ? this.f32s[this.n32++] : this.f64s[this.n64++];
    if (!Number.isFinite(x)) throw new PayloadError('a number is not finite');
    return x;
  }

  /** The next number, which must be stored in full (not deferred). */
  read(denominator: number): number {
    const x = this.readAny(denominator);
    if (isDeferred(x)) throw new PayloadError('a number that cannot be recomputed is marked as recomputed');
    return x;
  }

  get done(): boolean {
    return this.next === this.tags.length && this.ints.remaining === 0;
  }
}
