/**
 * Seeded randomness for item generation. pure-rand's xoroshiro128+ gives the same stream in
 * every JS engine, so the same seed yields the same items in any browser and in Node.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';

export interface Rng {
  /** Uniform integer in [from, to], both included. */
  int(from: number, to: number): number;
}

export function createRng(seed: number): Rng {
  const gen = xoroshiro128plus(seed | 0);
  return { int: (from, to) => uniformInt(gen, from, to) };
}

/** Mix a base seed with labels into a 32-bit seed (FNV-1a), so each variant has its own stream. */
export function deriveSeed(seed: number, ...labels: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed}|${labels.join('|')}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}
