/// <reference lib="webworker" />
/**
 * The engine in a Web Worker: the page stays responsive while ONNX Runtime works. It receives
 * a spec, runs it with the same runner Node uses, and streams events back.
 */
import { env as transformersEnv } from '@huggingface/transformers';
import { createTransformersEngine } from '../lib/engine/transformers-backend.ts';
import type { FromWorker, ToWorker } from '../lib/run/protocol.ts';
import { runExperiment } from '../lib/run/runner.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const controllers = new Map<string, AbortController>();

function post(msg: FromWorker) {
  scope.postMessage(msg);
}

scope.onmessage = async (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === 'cancel') {
    controllers.get(msg.runId)?.abort();
    return;
  }
  const controller = new AbortController();
  controllers.set(msg.runId, controller);
  try {
    const engine = createTransformersEngine({
      localModelPath: msg.config.modelBaseUrl,
      remoteHost: msg.config.remoteHost,
      wasmPaths: msg.config.wasmPaths,
      useBrowserCache: Boolean(msg.config.remoteHost),
    });
    if (msg.type === 'score') {
      const model = await engine.load(msg.ref, { signal: controller.signal });
      try {
        const results = await model.score(msg.items, { ...msg.options, signal: controller.signal });
        post({ type: 'scored', runId: msg.runId, results, info: model.info });
      } finally {
        await model.dispose();
      }
      return;
    }
    const result = await runExperiment(msg.spec, engine, {
      env: { ...msg.env, transformersVersion: String(transformersEnv.version) },
      paramsOf: (ref) => msg.config.params[ref.id] ?? null,
      signal: controller.signal,
      completed: msg.completed,
      partialItems: msg.partialItems,
      score: msg.config.maxBatchSize ? { maxBatchSize: msg.config.maxBatchSize } : undefined,
      onEvent: (event) => post({ type: 'event', runId: msg.runId, event }),
    });
    post({ type: 'done', runId: msg.runId, result });
  } catch (err) {
    post({ type: 'error', runId: msg.runId, message: err instanceof Error ? err.message : String(err) });
  } finally {
    controllers.delete(msg.runId);
  }
};
