/** The engine and catalog as Node sees them: CPU via onnxruntime-node, models read from static/. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { env as transformersEnv } from '@huggingface/transformers';
import { parseLadderManifest, type LadderManifest } from '../lib/catalog/ladder.ts';
import * as ortNode from 'onnxruntime-node';
import { createTransformersEngine, type TransformersEngineConfig } from '../lib/engine/transformers-backend.ts';
import type { Engine } from '../lib/engine/types.ts';
import { APP_VERSION } from '../lib/spec/defaults.ts';
import type { RunEnvironment } from '../lib/results/types.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MODELS_DIR = join(REPO_ROOT, 'static', 'models');

export async function loadLadder(ladderId: string, modelsDir = MODELS_DIR): Promise<LadderManifest> {
  if (!/^[a-z0-9-]+$/.test(ladderId)) throw new Error(`Unknown ladder "${ladderId}".`);
  const path = join(modelsDir, ladderId, 'ladder.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new Error(`Unknown ladder "${ladderId}": no ${path}.`);
  }
  return parseLadderManifest(JSON.parse(text));
}

/**
 * What the engine needs of onnxruntime-node for its scoring head (scoring-head.ts): the runtime
 * module transformers.js creates sessions with (one copy in node_modules) and a file reader,
 * since in Node transformers.js hands ONNX Runtime model paths, not bytes.
 */
export const NODE_RUNTIME: Pick<TransformersEngineConfig, 'ort' | 'readModelFile'> = {
  ort: ortNode,
  readModelFile: async (path) => new Uint8Array(await readFile(path)),
};

export function createNodeEngine(modelsDir = MODELS_DIR): Engine {
  return createTransformersEngine({ localModelPath: modelsDir, remoteHost: null, ...NODE_RUNTIME });
}

export function nodeEnvironment(): Omit<RunEnvironment, 'finishedAt'> {
  return {
    app: APP_VERSION,
    runtime: `node ${process.version}`,
    backend: 'cpu',
    adapter: null,
    transformersVersion: String(transformersEnv.version),
    startedAt: new Date().toISOString(),
  };
}
