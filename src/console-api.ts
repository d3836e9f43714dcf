/**
 * `window.emergenceLab` for people who script in the browser console (and for the engine's
 * browser tests): generate seeded items and score them on a model in the engine worker.
 */
import { EngineClient } from './lib/run/client.ts';
import { workerConfig } from './ui/worker-config.ts';
import { generateArithmeticItems } from './lib/tasks/arithmetic.ts';
import type { ArithmeticTask, ModelRef } from './lib/spec/schema.ts';
import type { GenerationItem } from './lib/tasks/types.ts';
import { APP_VERSION } from './lib/spec/defaults.ts';

export interface ConsoleApi {
  version: string;
  generateItems(task: ArithmeticTask): GenerationItem[];
  score: EngineClient['score'] extends (...a: infer _A) => infer R
    ? (ref: ModelRef, items: GenerationItem[], options?: { maxBatchSize?: number; shortcut?: boolean; greedyMargin?: number }) => R
    : never;
}

export function installConsoleApi(createWorker: () => Worker): ConsoleApi {
  const client = new EngineClient(createWorker);
  const api: ConsoleApi = {
    version: APP_VERSION,
    generateItems: (task) => generateArithmeticItems(task),
    score: (ref, items, options) => client.score(ref, items, workerConfig(), options),
  };
  (globalThis as unknown as { emergenceLab: ConsoleApi }).emergenceLab = api;
  return api;
}
