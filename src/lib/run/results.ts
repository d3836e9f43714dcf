/**
 * The run results format (also the lab's JSON export). Field names follow the issue that
 * defined it; `target_is_argmax` and `generated` are additions that keep every metric a pure
 * function of stored outputs.
 */
import type { MeanCI } from '../metrics/aggregate.ts';
import type { ItemMetrics } from '../metrics/types.ts';
import type { ExperimentSpec } from '../spec/schema.ts';
import type { ArithmeticMeta } from '../tasks/types.ts';

export const RUN_FORMAT = 'emergence-lab/run';
export const RUN_VERSION = 1;

export interface RunEnvironment {
  app: string;
  /** navigator.userAgent in a browser, "node <version>" in Node. */
  runtime: string;
  backend: 'webgpu' | 'wasm' | 'cpu';
  adapter: { vendor: string | null; architecture: string | null; shaderF16: boolean } | null;
  transformersVersion: string;
  startedAt: string;
  finishedAt: string | null;
}

export interface ItemRecord {
  id: string;
  variant: string;
  prompt: string;
  target: string;
  meta: ArithmeticMeta;
  target_token_ids: number[];
  target_logprobs: number[];
  target_is_argmax: boolean[];
  output_text: string;
  output_token_ids: number[];
  generated: boolean;
  metrics: ItemMetrics;
}

export interface VariantAggregate {
  variant: string;
  n: number;
  metrics: Record<string, MeanCI>;
}

export type ModelStatus = 'done' | 'error' | 'cancelled';

export interface ModelRun {
  id: string;
  params: number | null;
  dtype: string;
  device: string;
  status: ModelStatus;
  error: string | null;
  loadMs: number;
  scoreMs: number;
  items: ItemRecord[];
  aggregates: { variants: VariantAggregate[] };
}

export interface RunResult {
  format: typeof RUN_FORMAT;
  version: typeof RUN_VERSION;
  spec: ExperimentSpec;
  env: RunEnvironment;
  models: ModelRun[];
  /** Emergence score (Srivastava et al. 2022) per variant per metric across finished models by scale. */
  emergence: Record<string, Record<string, number>>;
}
