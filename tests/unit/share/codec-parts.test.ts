import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url } from '../../../src/lib/share/base64url.ts';
import { ByteReader, ByteWriter, PayloadError } from '../../../src/lib/share/bytes.ts';
import { crc32 } from '../../../src/lib/share/crc32.ts';
import { FRACTIONS, smallFraction } from '../../../src/lib/share/item-columns.ts';
import { expandItemGroups, groupItemIds } from '../../../src/lib/share/item-table.ts';
import { NumberReader, NumberWriter, roundF32 } from '../../../src/lib/share/numbers.ts';

// Generous limit: the suite takes seconds, but the machine may be shared (no timing is tested).
describe('codec parts', { timeout: 60_000 }, () => {
  it('base64url round-trips and rejects non-canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(decodeBase64url(encodeBase64url(b))).toEqual(b);
      }),
    );
    expect(encodeBase64url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(decodeBase64url('A')).toBeNull();
    expect(decodeBase64url('AB')).toBeNull(); // leftover bits set
    expect(decodeBase64url('A+==')).toBeNull();
  });

  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('varints round-trip; the reader refuses to overrun', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 40), max: 2 ** 40 })), (xs) => {
        const w = new ByteWriter();
        xs.forEach((x) => w.varint(x));
        const r = new ByteReader(w.finish());
        expect(xs.map(() => r.varint())).toEqual(xs);
        expect(() => r.u8()).toThrow(PayloadError);
      }),
    );
  });

  it('numbers: exact mode is bit-exact; fractions are short; float32 rounds outward', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1, max: 1000 }))), (xs) => {
        const ints = new ByteWriter();
        const nw = new NumberWriter(ints, 1);
        xs.forEach(([x, d]) => nw.write(x, d, 'exact'));
        const out = new ByteWriter();
        nw.finish(out, ints.finish());
        const nr = new NumberReader(new ByteReader(out.finish()), xs.length, 1);
        for (const [x, d] of xs) expect(Object.is(nr.read(d), x)).toBe(true);
        expect(nr.done).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.double({ noNaN: true, min: -1e30, max: 1e30 }), (x) => {
        expect(roundF32(x, 'f32-down')).toBeLessThanOrEqual(x);
        expect(roundF32(x, 'f32-up')).toBeGreaterThanOrEqual(x);
        expect(Math.fround(roundF32(x, 'f32-up'))).toBe(roundF32(x, 'f32-up'));
      }),
    );
  });

  it('digit-accuracy fractions: 129 codes, exact doubles', () => {
    expect(FRACTIONS).toHaveLength(129);
    expect(smallFraction(2 / 3)).toEqual({ num: 2, den: 3 });
    expect(smallFraction(0.1234567)).toBeNull();
  });

  it('item id groups round-trip, numbered or not', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.oneof(fc.stringMatching(/^[a-z]{1,3}-[0-9]{1,3}$/), fc.stringMatching(/^[a-z]{1,4}$/)), { maxLength: 40 }), (ids) => {
        const variants = ids.map((id) => (id.length % 2 ? 'v/a' : 'v/b'));
        expect(expandItemGroups(groupItemIds(ids, variants))).toEqual({ ids, variants });
      }),
    );
    const ids = Array.from({ length: 40 }, (_, i) => `add-3d-${i}`);
    expect(groupItemIds(ids, ids.map(() => 'add/3d'))).toEqual([['add/3d', 'add-3d-', 0, 40]]);
  });
});
