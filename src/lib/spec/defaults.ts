import type { ExperimentSpec } from './schema.ts';
import { SPEC_FORMAT, SPEC_VERSION } from './schema.ts';

export const APP_VERSION = '0.1.0';

/** The bundled ladder's model ids in order of scale (static/models/arith/ladder.json). */
export const BUNDLED_LADDER_IDS = [
  'arith/arith-l1-d12',
  'arith/arith-l1-d24',
  'arith/arith-l2-d32',
  'arith/arith-l2-d48',
  'arith/arith-l3-d64',
  'arith/arith-l4-d96',
  'arith/arith-l4-d128',
] as const;

/** The experiment a visitor sees on first load: bundled ladder x addition, 1-5 digits. */
export function defaultSpec(device: 'webgpu' | 'wasm' | 'cpu' = 'wasm'): ExperimentSpec {
  return {
    format: SPEC_FORMAT,
    version: SPEC_VERSION,
    appVersion: APP_VERSION,
    task: { kind: 'arithmetic', operation: 'add', digits: [1, 2, 3, 4, 5], perVariant: 40, seed: 7, kShot: 0, template: 'arith-plain' },
    models: BUNDLED_LADDER_IDS.map((id) => ({ id, source: 'bundled' as const, revision: null, dtype: 'fp32' as const, device })),
    bootstrapSeed: 1,
  };
}
