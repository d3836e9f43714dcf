import { EngineError } from './errors.ts';

export interface EncodedPair {
  contextIds: number[];
  continuationIds: number[];
}

/**
 * Split context and continuation the way lm-evaluation-harness does (`_encode_pair`): trailing
 * spaces of the context move to the continuation, the whole string is encoded once, and the
 * continuation is what follows the context's own tokens. This keeps merges across the boundary
 * identical to how the model sees the full text.
 */
export function encodePair(encode: (text: string) => number[], context: string, continuation: string): EncodedPair {
  if (continuation.length === 0) throw new EngineError('The item has an empty target: there is nothing to score.');
  const trimmed = context.replace(/\s+$/u, '');
  const moved = context.slice(trimmed.length);
  if (trimmed.length === 0) throw new EngineError('The item has an empty prompt: the model needs some context to score a target.');
  const whole = encode(trimmed + moved + continuation);
  const contextIds = encode(trimmed);
  const continuationIds = whole.slice(contextIds.length);
  if (continuationIds.length === 0) {
    throw new EngineError(`The target "${continuation}" encodes to no tokens after the prompt; check the template.`);
  }
  return { contextIds, continuationIds };
}

/**
 * encodePair for several continuations of one context: the context is encoded once and each
 * continuation is split off its own whole-string encoding, exactly as encodePair does.
 */
export function encodeContinuations(encode: (text: string) => number[], context: string, continuations: string[]): { contextIds: number[]; continuationIds: number[][] } {
  const trimmed = context.replace(/\s+$/u, '');
  const moved = context.slice(trimmed.length);
  if (trimmed.length === 0) throw new EngineError('The item has an empty prompt: the model needs some context to score a target.');
  const contextIds = encode(trimmed);
  const continuationIds = continuations.map((continuation, i) => {
    if (continuation.length === 0) throw new EngineError(`Choice ${i} is empty: there is nothing to score.`);
    const ids = encode(trimmed + moved + continuation).slice(contextIds.length);
    if (ids.length === 0) throw new EngineError(`Choice ${i} ("${continuation}") encodes to no tokens after the prompt; check the template.`);
    return ids;
  });
  return { contextIds, continuationIds };
}

/**
 * Cut greedy output the same way for generated and teacher-forced-proven outputs:
 * keep ids through the first end token, stop before a token whose text starts with a stop
 * string, never more than `cap` ids; the text is cut at the first stop string.
 */
export function trimGreedyOutput(
  ids: number[],
  cap: number,
  eosTokenIds: number[],
  stop: string[],
  decode: (ids: number[]) => string,
): { ids: number[]; text: string } {
  const kept: number[] = [];
  for (const id of ids.slice(0, cap)) {
    if (eosTokenIds.includes(id)) {
      kept.push(id);
      break;
    }
    const piece = decode([id]);
    if (stop.some((s) => piece.startsWith(s))) break;
    kept.push(id);
  }
  let text = decode(kept);
  for (const s of stop) {
    const at = text.indexOf(s);
    if (at >= 0) text = text.slice(0, at);
  }
  return { ids: kept, text };
}
