import { normalizeAnswer } from './normalize.ts';
import type { Binary } from './types.ts';

/**
 * Exact match: 1 if normalize(output) === normalize(target), else 0, where normalize trims
 * leading/trailing whitespace only (see normalize.ts).
 * A discontinuous metric: Schaeffer et al. 2023 (arXiv:2304.15004) show it creates most
 * "emergent" jumps reported by Wei et al. 2022 (arXiv:2206.07682).
 */
export function exactMatch(target: string, output: string): Binary {
  return normalizeAnswer(target) === normalizeAnswer(output) ? 1 : 0;
}
