export * from './types.ts';
export * from './errors.ts';
export * from './templates.ts';
export * from './arithmetic.ts';
export { createRng, deriveSeed, type Rng } from './prng.ts';
