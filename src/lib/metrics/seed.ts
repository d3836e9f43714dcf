/**
 * Deterministic seeds for the PRNG. xoroshiro128plus(seed) of pure-rand keeps only the low 32
 * bits of its seed and its first outputs follow the seed closely, so seeds are first hashed:
 * nearby seeds (1, 2, 3) and seeds that differ in their high bits give unrelated streams.
 */

/** FNV-1a (32-bit) over UTF-16 code units, finished with the murmur3 fmix32 avalanche. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/**
 * A 32-bit seed derived from a base seed and labels, e.g. deriveSeed(42, 'pythia-70m', 'exact_match').
 * Labels are joined with U+0000 so ('ab', 'c') and ('a', 'bc') differ.
 */
export function deriveSeed(seed: number, ...labels: readonly string[]): number {
  return hash32([String(seed), ...labels].join('\u0000'));
}
