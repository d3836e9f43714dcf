import { describe, expect, it } from 'vitest';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { resampleMeans } from '../../../src/lib/metrics/bootstrap.ts';

/** resampleMeans written plainly on pure-rand's own generator object. */
function reference(xs: Float64Array, seed: number, B: number): Float64Array {
  const n = xs.length;
  const rng = xoroshiro128plus(seed);
  const out = new Float64Array(B);
  let pending = -1;
  const limit16 = Math.floor(65536 / n) * n;
  const drawHalf = (): number => {
    for (;;) {
      let d: number;
      if (pending >= 0) {
        d = pending;
        pending = -1;
      } else {
        const next = rng.next();
        d = next >>> 16;
        pending = next & 0xffff;
      }
      if (d < limit16) return d % n;
    }
  };
  for (let b = 0; b < B; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += xs[n <= 4096 ? drawHalf() : uniformInt(rng, 0, n - 1)];
    out[b] = sum / n;
  }
  return out;
}

describe('resampleMeans', () => {
  it('draws exactly what pure-rand gives (16-bit halves for n ≤ 4096, uniformInt above)', () => {
    for (const n of [1, 2, 3, 50, 251, 4096, 5000]) {
      const xs = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1) * 10);
      const out = new Float64Array(n > 1000 ? 20 : 300);
      resampleMeans(xs, 12345 + n, out);
      expect(Array.from(out)).toEqual(Array.from(reference(xs, 12345 + n, out.length)));
    }
  });
  it('indices are uniform (chi-square over 10 cells)', () => {
    // One-hot values: the resample mean of e_k counts how often index k was drawn.
    const n = 10;
    const counts = new Array<number>(n).fill(0);
    for (let k = 0; k < n; k++) {
      const xs = Float64Array.from({ length: n }, (_, i) => (i === k ? 1 : 0));
      const out = new Float64Array(2000);
      resampleMeans(xs, 99, out);
      counts[k] = out.reduce((s, x) => s + x * n, 0);
    }
    const expected = 2000;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(27.9); // 99.9th percentile of χ²(9)
  });
});
