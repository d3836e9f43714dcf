export * from './errors.ts';
export * from './types.ts';
export type { ModelBackend, LogitsBatch } from './backend.ts';
export { scoreItems } from './scoring.ts';
export { scoreChoiceItems } from './choices.ts';
export { encodeContinuations, encodePair, trimGreedyOutput } from './tokenize.ts';
export { planBatches } from './batching.ts';
