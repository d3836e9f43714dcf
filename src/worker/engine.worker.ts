/// <reference lib="webworker" />
/**
 * The engine in a Web Worker: the page stays responsive while ONNX Runtime works. It receives
 * a spec, runs it with the same runner Node uses, and streams events back.
 *
 * Hub models: the worker keeps one HubSession (verified, resumable downloads into the Cache API)
 * and grants it exactly the plan the visitor agreed to in the page; the session's download
 * events (bytes per file, retries, failures) go to the page as 'hub-event' messages.
 */
import { env as transformersEnv } from '@huggingface/transformers';
// The same onnxruntime-web module instance transformers.js imports (one copy in node_modules,
// resolved to the same file): used to guard its session calls below and, handed to the engine,
// to score on the GPU with the runtime's own tensor class (device-scoring.ts).
import * as ort from 'onnxruntime-web/webgpu';
import { wasmThreadCount } from '../lib/capability/backend-choice.ts';
import { CancelledError, ModelLoadError } from '../lib/engine/errors.ts';
import { createTransformersEngine } from '../lib/engine/transformers-backend.ts';
import type { Engine } from '../lib/engine/types.ts';
import { createBrowserHubSession } from '../lib/hub/browser.ts';
import type { DownloadPlan } from '../lib/hub/plan.ts';
import { normalizeHost } from '../lib/hub/repo.ts';
import type { HubSession } from '../lib/hub/session.ts';
import type { FromWorker, ToWorker, WorkerRunConfig } from '../lib/run/protocol.ts';
import { runExperiment } from '../lib/run/runner.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

/**
 * A stand-in result for a failed ONNX Runtime call: any use of it throws the call's error. It is
 * not thenable, so a promise chain that resolves with it stays healthy.
 */
function failedResult(err: unknown): object {
  const fail = (): never => {
    throw err;
  };
  return new Proxy(Object.create(null) as object, {
    get: (_t, key) => (key === 'then' ? undefined : fail()),
    set: fail,
    has: fail,
    ownKeys: fail,
    getOwnPropertyDescriptor: fail,
    defineProperty: fail,
    deleteProperty: fail,
  });
}

/**
 * Isolation between models (issue 20). In the browser transformers.js 4.3.2 serializes session
 * creation and runs through module-level promise chains (`webInitChain = webInitChain.then(load)`,
 * the same for `webInferenceChain`) without handling rejection: after one failed
 * InferenceSession.create (a corrupt model: "protobuf parsing failed") or one failed run, every
 * later model in the worker fails with that same error. Here a failure resolves the chain with
 * failedResult(err) instead; transformers.js touches the result at once (session.config = …,
 * replaceTensors(output)) inside its own try, so the caller still gets the original error, and
 * the next model starts on a healthy chain. What ONNX Runtime keeps inside its WASM instance is
 * not reachable from here: see runtimeNeedsRestart() (src/lib/hub/errors.ts).
 */
function guardRuntimeChains(): void {
  const ctor = ort.InferenceSession as unknown as { create: (...args: unknown[]) => Promise<unknown>; prototype: { run: (...args: unknown[]) => Promise<unknown> } };
  const create = ctor.create;
  ctor.create = function (this: unknown, ...args: unknown[]) {
    return create.apply(this, args).catch(failedResult);
  };
  const run = ctor.prototype.run;
  ctor.prototype.run = function (this: unknown, ...args: unknown[]) {
    return run.apply(this, args).catch(failedResult);
  };
}
guardRuntimeChains();
const controllers = new Map<string, AbortController>();
/** One Hub session for the worker's lifetime (its grants and pins outlive a run). */
let hubSession: HubSession | null = null;

function post(msg: FromWorker) {
  scope.postMessage(msg);
}

function sessionFor(host: string): HubSession {
  if (!hubSession || hubSession.host !== normalizeHost(host)) hubSession = createBrowserHubSession({ host });
  return hubSession;
}

/**
 * Models the plan could not plan fail at once with the plan's reason (no request is made for
 * them), and a load cut short by Cancel reports a cancellation rather than a download error.
 */
function guardEngine(engine: Engine, plan: DownloadPlan, signal: AbortSignal, session: HubSession): Engine {
  const failed = new Map(plan.failed.filter((f) => !plan.models.some((m) => m.repoId === f.ref.id)).map((f) => [f.ref.id, f]));
  const withoutId = (id: string, message: string) => (message.startsWith(`${id}: `) ? message.slice(id.length + 2) : message);
  return {
    async load(ref, options) {
      const f = ref.source === 'hub' ? failed.get(ref.id) : undefined;
      if (f) throw new ModelLoadError(ref.id, withoutId(ref.id, f.message));
      try {
        return await engine.load(ref, options);
      } catch (err) {
        if (signal.aborted) throw new CancelledError();
        // Weights from the cache that ONNX Runtime cannot read are deleted, so the next run
        // downloads them afresh instead of failing the same way forever.
        const evicted = ref.source === 'hub' ? await session.evictAfterLoadFailure(ref.id, err).catch(() => null) : null;
        if (evicted) throw new ModelLoadError(ref.id, withoutId(ref.id, evicted.message), { cause: err });
        throw err;
      }
    },
  };
}

function createEngine(config: WorkerRunConfig, runId: string, signal: AbortSignal): { engine: Engine; release: () => void } {
  // Every core cross-origin isolation allows (issue 13); the capability panel shows the same number.
  const wasmThreads = wasmThreadCount(scope.navigator.hardwareConcurrency, scope.crossOriginIsolated);
  const local = { localModelPath: config.modelBaseUrl, wasmPaths: config.wasmPaths, wasmThreads, ort };
  if (!config.hub) {
    return { engine: createTransformersEngine({ ...local, remoteHost: config.remoteHost, useBrowserCache: Boolean(config.remoteHost) }), release: () => undefined };
  }
  const session = sessionFor(config.hub.host);
  session.grant(config.hub.plan);
  const stop = session.onEvent((event) => post({ type: 'hub-event', runId, event }));
  const engine = createTransformersEngine({ ...local, ...session.engineConfig() });
  return { engine: guardEngine(engine, config.hub.plan, signal, session), release: stop };
}

scope.onmessage = async (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === 'cancel') {
    const controller = controllers.get(msg.runId);
    if (controller) {
      controller.abort();
      // A model file in flight would otherwise finish downloading before the cancel is seen.
      hubSession?.cancelDownloads();
    }
    return;
  }
  const controller = new AbortController();
  controllers.set(msg.runId, controller);
  let release = () => undefined as void;
  try {
    const created = createEngine(msg.config, msg.runId, controller.signal);
    release = created.release;
    const engine = created.engine;
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
      scaleOf: (ref) => msg.config.scales?.[ref.id] ?? null,
      signal: controller.signal,
      completed: msg.completed,
      partialItems: msg.partialItems,
      score: { maxBatchSize: msg.config.maxBatchSize, logitsBudgetBytes: msg.config.logitsBudgetBytes },
      taskData: msg.config.taskData ?? null,
      onEvent: (event) => post({ type: 'event', runId: msg.runId, event }),
    });
    post({ type: 'done', runId: msg.runId, result });
  } catch (err) {
    post({ type: 'error', runId: msg.runId, message: err instanceof Error ? err.message : String(err) });
  } finally {
    release();
    controllers.delete(msg.runId);
  }
};
