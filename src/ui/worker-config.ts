/**
 * Where the engine worker finds the bundled models and ONNX Runtime's WASM files, relative to the
 * page (so a build served under a sub-path works). The page's runs, the backend probe and the
 * console API all start from this; a run adds its parameters, task data and memory budget.
 */
import type { WorkerRunConfig } from '../lib/run/protocol.ts';

export function workerConfig(remoteHost: string | null = null): WorkerRunConfig {
  const at = (path: string) => new URL(path, document.baseURI).href;
  return {
    modelBaseUrl: at('models/'),
    wasmPaths: { mjs: at('ort/ort-wasm-simd-threaded.asyncify.mjs'), wasm: at('ort/ort-wasm-simd-threaded.asyncify.wasm') },
    remoteHost,
    params: {},
  };
}
