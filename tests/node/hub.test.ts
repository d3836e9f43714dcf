/**
 * Hub models end to end on the real engine (onnxruntime-node), against a local server that
 * imitates the Hub's URL layout and serves the bundled ladder under Hub-style ids, with
 * injected faults. The real Hub is never reached.
 */
import { GENERATION_METRIC_IDS } from '../../src/lib/metrics/registry.ts';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForCausalLM } from '@huggingface/transformers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNodeEngine, loadLadder, MODELS_DIR, NODE_RUNTIME, nodeEnvironment } from '../../src/cli/node-engine.ts';
import { modelsByScale } from '../../src/lib/catalog/ladder.ts';
import { ModelLoadError } from '../../src/lib/engine/errors.ts';
import { createTransformersEngine } from '../../src/lib/engine/transformers-backend.ts';
import type { Engine } from '../../src/lib/engine/types.ts';
import {
  ConsentRequiredError,
  createHubSession,
  deleteCachedModel,
  DownloadError,
  findHubError,
  listCachedModels,
  MemoryModelStore,
  probeDtypes,
  readModelConfig,
  resolveRevision,
  RepoNotFoundError,
  SUPPORTED_ARCHITECTURES,
  UnsupportedArchitectureError,
  type HubEvent,
  type HubSession,
  type ModelFileStore,
} from '../../src/lib/hub/index.ts';
import { DirectoryModelStore } from '../../src/lib/hub/store-node.ts';
import { runExperiment } from '../../src/lib/run/runner.ts';
import type { ExperimentSpec, ModelRef } from '../../src/lib/spec/schema.ts';
import { generateArithmeticItems } from '../../src/lib/tasks/arithmetic.ts';
import { startHubServer, type HubFault, type HubServer } from '../helpers/hub-server.ts';

const ladder = await loadLadder('arith');
const [small, next] = modelsByScale(ladder);
const A = `lab-test/${small.id}`;
const B = `lab-test/${next.id}`;
const dirOf = (id: string) => join(MODELS_DIR, 'arith', id);
const ONNX = 'onnx/model.onnx';
const onnxBytes = statSync(join(dirOf(small.id), ONNX)).size;
const REPO_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', ONNX];
/** Bytes of the files a load needs (generation_config.json is optional). */
const filesBytes = (id: string) => REPO_FILES.filter((f) => existsSync(join(dirOf(id), f))).reduce((s, f) => s + statSync(join(dirOf(id), f)).size, 0);

const items = generateArithmeticItems({ kind: 'arithmetic', operation: 'add', digits: [1, 2, 3], perVariant: 4, seed: 3, kShot: 0, template: 'arith-plain' });
const hubRef = (id: string, revision: string | null = null): ModelRef => ({ id, source: 'hub', revision, dtype: 'fp32', device: 'cpu' });
const FAST_RETRY = { retries: 2, baseDelayMs: 10, maxDelayMs: 40, stallTimeoutMs: 2_000 };

let server: HubServer;

beforeAll(async () => {
  const gpt2 = readFileSync(join(dirOf(small.id), 'config.json'), 'utf8');
  server = await startHubServer({
    repos: {
      [A]: { dir: dirOf(small.id) },
      [B]: { dir: dirOf(next.id) },
      'lab-test/bert-like': { dir: dirOf(small.id), files: { 'config.json': JSON.stringify({ ...JSON.parse(gpt2), model_type: 'bert' }) } },
      'lab-test/no-onnx': {
        files: {
          'config.json': gpt2,
          'tokenizer.json': readFileSync(join(dirOf(small.id), 'tokenizer.json')),
          'tokenizer_config.json': readFileSync(join(dirOf(small.id), 'tokenizer_config.json')),
        },
      },
      'lab-test/external-data': {
        files: {
          'config.json': JSON.stringify({ ...JSON.parse(gpt2), 'transformers.js_config': { use_external_data_format: { 'model.onnx': 1 } } }),
          'onnx/model.onnx': new Uint8Array(100),
          'onnx/model.onnx_data': new Uint8Array(1000),
          'onnx/model_q4.onnx': new Uint8Array(50),
        },
      },
    },
  });
});
afterAll(() => server?.close());
beforeEach(() => {
  server.clearFaults();
  server.resetLog();
});

function hubEngine(session: HubSession): Engine {
  return createTransformersEngine({ localModelPath: MODELS_DIR, ...NODE_RUNTIME, ...session.engineConfig() });
}

/** Plan, grant and load one model; returns the loaded model's scores. */
async function planGrantScore(session: HubSession, id: string) {
  const plan = await session.planDownload([hubRef(id)]);
  expect(plan.failed).toEqual([]);
  session.grant(plan);
  const model = await hubEngine(session).load(plan.models[0].ref);
  try {
    return await model.score(items);
  } finally {
    await model.dispose();
  }
}

describe('a Hub-style model end to end', () => {
  it('loads and scores exactly like the same model bundled, asking only for the pinned commit', async () => {
    const session = createHubSession({ host: server.url, retry: FAST_RETRY });
    const events: HubEvent['type'][] = [];
    session.onEvent((e) => events.push(e.type));
    const viaHub = await planGrantScore(session, A);

    const bundled = await createNodeEngine().load({ id: `arith/${small.id}`, source: 'bundled', revision: null, dtype: 'fp32', device: 'cpu' });
    const local = await bundled.score(items);
    await bundled.dispose();
    expect(viaHub).toEqual(local);

    // "main" was asked of the API once; every file request named the commit.
    expect(server.count({ kind: 'api', revision: 'main' })).toBe(1);
    const fileRequests = server.log.filter((r) => r.kind === 'file');
    expect(fileRequests.length).toBeGreaterThan(0);
    expect(fileRequests.every((r) => r.revision === server.sha)).toBe(true);
    expect(server.count({ kind: 'file', method: 'GET', file: ONNX, range: null })).toBe(1);
    expect(events).toContain('progress');
    expect(events).toContain('cached');
  });

  it('the plan sizes every file, counts cached bytes, and pins the revision in the ref', async () => {
    const store = new MemoryModelStore();
    const session = createHubSession({ host: server.url, store, retry: FAST_RETRY });
    const plan = await session.planDownload([hubRef(A), hubRef(B), { id: 'arith/x', source: 'bundled', revision: null, dtype: 'fp32', device: 'cpu' }]);
    expect(plan.models.map((m) => m.repoId)).toEqual([A, B]);
    expect(plan.models[0].ref).toEqual(hubRef(A, server.sha));
    expect(plan.totalBytes).toBe(filesBytes(small.id) + filesBytes(next.id));
    expect(plan.cachedBytes).toBe(0);
    expect(plan.needsConsent).toBe(false);
    expect(plan.models[0].params).toBe(small.params);
    expect((await session.planDownload([hubRef(A)], { consentThresholdBytes: 10 })).needsConsent).toBe(true);

    session.grant(plan);
    const model = await hubEngine(session).load(plan.models[0].ref);
    await model.dispose();
    const again = await session.planDownload([hubRef(A, server.sha)]);
    expect(again.cachedBytes).toBe(filesBytes(small.id));
    expect(again.downloadBytes).toBe(0);
  });
});

describe('revision pinning and probing', () => {
  it('resolves "main" to the commit and accepts the commit itself; unknown revisions and repos are typed errors', async () => {
    expect(await resolveRevision(server.url, A)).toBe(server.sha);
    expect(await resolveRevision(server.url, A, server.sha)).toBe(server.sha);
    expect(server.count({ kind: 'api', revision: 'main' })).toBe(1);
    expect(server.count({ kind: 'api', revision: server.sha })).toBe(1);
    await expect(resolveRevision(server.url, A, 'no-such-branch')).rejects.toBeInstanceOf(RepoNotFoundError);
    const err = await resolveRevision(server.url, 'lab-test/does-not-exist').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RepoNotFoundError);
    expect((err as Error).message).toMatch(/^lab-test\/does-not-exist: .*no repository/);
  });

  it('a pinned ref is loaded from its commit without asking the API', async () => {
    const session = createHubSession({ host: server.url, retry: FAST_RETRY });
    await planGrantScore(session, A);
    server.resetLog();
    const session2 = createHubSession({ host: server.url, retry: FAST_RETRY });
    const plan = await session2.planDownload([hubRef(A, server.sha)]);
    expect(server.count({ kind: 'api' })).toBe(0);
    // Its files are not in this session's store: one listing request says what they are.
    expect(server.count({ kind: 'tree' })).toBe(1);
    expect(plan.models[0].sha).toBe(server.sha);
  });

  it('probeDtypes reads the dtypes and sizes from one listing request, with no probing of file names', async () => {
    const probes = await probeDtypes(server.url, A, server.sha);
    expect(probes).toEqual([{ dtype: 'fp32', file: ONNX, bytes: onnxBytes, externalData: [], totalBytes: onnxBytes }]);
    expect(server.count({ kind: 'tree' })).toBe(1);
    expect(server.count({ kind: 'file' })).toBe(0);
  });

  it('planning a ladder twice in one session lists each repository once; a cached model plans without a listing', async () => {
    const session = createHubSession({ host: server.url, retry: FAST_RETRY });
    await session.planDownload([hubRef(A), hubRef(B)]);
    await session.planDownload([hubRef(A), hubRef(B), { ...hubRef(A), dtype: 'q4' }]);
    expect(server.count({ kind: 'tree', repoId: A })).toBe(1);
    expect(server.count({ kind: 'tree', repoId: B })).toBe(1);
    expect(server.count({ kind: 'file', method: 'HEAD' })).toBe(0);
  });

  it('a 429 with Retry-After is retried no sooner than the host asks; a too-long wait fails at once, saying so', async () => {
    server.setFault(A, '/api/tree', { kind: 'status', status: 429, retryAfter: '1', times: 1 });
    const t0 = performance.now();
    const probes = await probeDtypes(server.url, A, server.sha, { retry: FAST_RETRY });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    expect(probes.map((p) => p.dtype)).toEqual(['fp32']);
    expect(server.log.filter((r) => r.kind === 'tree').map((r) => r.status)).toEqual([429, 200]);
    server.setFault(A, '/api/tree', { kind: 'status', status: 429, retryAfter: '3600' });
    const t1 = performance.now();
    const err = await probeDtypes(server.url, A, server.sha, { retry: FAST_RETRY }).catch((e: unknown) => e);
    expect(performance.now() - t1).toBeLessThan(500);
    expect((err as Error).message).toMatch(/HTTP 429.*asks to wait 3600 s/);
  });

  it('probeDtypes notes external-data files and the plan includes the ones config.json asks for', async () => {
    const probes = await probeDtypes(server.url, 'lab-test/external-data', server.sha);
    expect(probes.map((p) => [p.dtype, p.totalBytes, p.externalData.map((e) => e.file)])).toEqual([
      ['fp32', 1100, ['onnx/model.onnx_data']],
      ['q4', 50, []],
    ]);
    const session = createHubSession({ host: server.url, retry: FAST_RETRY });
    const plan = await session.planDownload([hubRef('lab-test/external-data')]);
    expect(plan.failed).toEqual([
      expect.objectContaining({ error: 'HubError', message: expect.stringMatching(/tokenizer\.json is missing/) }),
    ]);
  });

  it('a missing dtype, a repo without ONNX files, an unsupported architecture and bad ids fail alone in the plan', async () => {
    server.setFault(A, ONNX, { kind: 'missing' });
    const session = createHubSession({ host: server.url, retry: FAST_RETRY });
    const plan = await session.planDownload([
      hubRef(A),
      hubRef('lab-test/no-onnx'),
      hubRef('lab-test/bert-like'),
      hubRef('lab-test/does-not-exist'),
      hubRef('https://huggingface.co/Xenova/gpt2'),
      { ...hubRef('lab-test/external-data'), dtype: 'q8' },
      hubRef(B),
    ]);
    expect(plan.models.map((m) => m.repoId)).toEqual([B]);
    expect(plan.failed.map((f) => [f.ref.id, f.error])).toEqual([
      [A, 'NoOnnxFilesError'],
      ['lab-test/no-onnx', 'NoOnnxFilesError'],
      ['lab-test/bert-like', 'UnsupportedArchitectureError'],
      ['lab-test/does-not-exist', 'RepoNotFoundError'],
      ['https://huggingface.co/Xenova/gpt2', 'InvalidRepoIdError'],
      ['lab-test/external-data', 'MissingDtypeError'],
    ]);
    const byId = Object.fromEntries(plan.failed.map((f) => [f.ref.id, f.message]));
    expect(byId['lab-test/external-data']).toMatch(/^lab-test\/external-data: no q8 weights .*available: fp32, q4/);
    expect(byId['lab-test/bert-like']).toMatch(/"bert" is not a causal language model/);
    expect(byId['https://huggingface.co/Xenova/gpt2']).toMatch(/the id is probably "Xenova\/gpt2"/);
    await expect(readModelConfig(server.url, 'lab-test/bert-like', server.sha)).rejects.toBeInstanceOf(UnsupportedArchitectureError);
  });

  it('lists only architectures transformers.js maps to a causal LM', () => {
    const mapping = (AutoModelForCausalLM as unknown as { MODEL_CLASS_MAPPINGS: Map<string, unknown>[] }).MODEL_CLASS_MAPPINGS[0];
    expect(SUPPORTED_ARCHITECTURES.filter((a) => !mapping.has(a))).toEqual([]);
  });
});

describe('consent gate', () => {
  it('no model file is downloaded before the plan is granted', async () => {
    const session = createHubSession({ host: server.url, retry: FAST_RETRY });
    const plan = await session.planDownload([hubRef(A)]);
    server.resetLog();
    const err = await hubEngine(session).load(plan.models[0].ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect(findHubError(err)).toBeInstanceOf(ConsentRequiredError);
    expect((err as Error).message).toMatch(new RegExp(`^${A}: could not be loaded: .*not approved`));
    expect(server.log.filter((r) => r.method === 'GET' && r.range === null)).toEqual([]);
  });

  it('a granted plan covers only its commit: an unpinned ref is refused', async () => {
    const session = createHubSession({ host: server.url, retry: FAST_RETRY });
    session.grant(await session.planDownload([hubRef(A)]));
    expect(session.isGranted(A, server.sha)).toBe(true);
    expect(session.isGranted(B, server.sha)).toBe(false);
    const err = await hubEngine(session).load(hubRef(B)).catch((e: unknown) => e);
    expect(findHubError(err)).toBeInstanceOf(ConsentRequiredError);
  });
});

describe('download faults', () => {
  const cases: [string, HubFault, RegExp][] = [
    ['truncated body', { kind: 'truncate' }, /connection failed after \d+ of \d+ bytes/],
    ['wrong Content-Length', { kind: 'wrong-length', delta: 64 }, /announced \d+ bytes \(Content-Length\) but the file has \d+ bytes/],
    ['short Content-Length', { kind: 'wrong-length', delta: -64 }, /announced \d+ bytes \(Content-Length\) but the file has \d+ bytes/],
    ['stall then reset', { kind: 'stall', ms: 5_000 }, /stalled \(no data for 500 ms\)/],
    ['server error', { kind: 'status', status: 503 }, /HTTP 503/],
    ['file gone after planning', { kind: 'missing' }, /404 Not Found: the file is not at this commit/],
  ];

  it.each(cases)('%s: a typed DownloadError naming file and model, nothing cached, another model loads, a clean retry succeeds', async (_name, fault, detail) => {
    const store = new MemoryModelStore();
    const session = createHubSession({ host: server.url, store, retry: { ...FAST_RETRY, stallTimeoutMs: fault.kind === 'stall' ? 500 : 2_000 } });
    const plan = await session.planDownload([hubRef(A), hubRef(B)]);
    session.grant(plan);
    const engine = hubEngine(session);
    server.setFault(A, ONNX, fault);

    const err = await engine.load(plan.models[0].ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    const dl = findHubError(err);
    expect(dl).toBeInstanceOf(DownloadError);
    expect(dl).toMatchObject({ repoId: A, file: ONNX });
    expect((err as Error).message).toMatch(new RegExp(`^${A}: could not be loaded: download of ${ONNX} failed`));
    expect((err as Error).message).toMatch(detail);
    expect(await store.size(plan.models[0].files.find((f) => f.file === ONNX)!.url)).toBeNull();

    const other = await engine.load(plan.models[1].ref);
    await other.dispose();

    server.clearFault(A, ONNX);
    const before = server.count({ method: 'GET', file: ONNX, repoId: A });
    const model = await engine.load(plan.models[0].ref);
    await model.dispose();
    expect(server.count({ method: 'GET', file: ONNX, repoId: A })).toBeGreaterThan(before);
    expect(await store.size(plan.models[0].files.find((f) => f.file === ONNX)!.url)).toBe(onnxBytes);
  });

  it('a transient cut is resumed with a Range request and the model loads', async () => {
    const session = createHubSession({ host: server.url, retry: FAST_RETRY });
    const retries: string[] = [];
    session.onEvent((e) => e.type === 'retry' && retries.push(e.reason));
    server.setFault(A, ONNX, { kind: 'truncate', times: 1 });
    const scores = await planGrantScore(session, A);
    expect(scores).toHaveLength(items.length);
    expect(retries).toHaveLength(1);
    expect(server.log.filter((r) => r.file === ONNX && r.range?.startsWith('bytes=') && r.range !== 'bytes=0-0').map((r) => r.status)).toEqual([206]);
  });

  it('connection resets and 503s before the body are retried', async () => {
    const session = createHubSession({ host: server.url, retry: FAST_RETRY });
    server.setFault(A, ONNX, { kind: 'reset', times: 1 });
    server.setFault(A, 'tokenizer.json', { kind: 'status', status: 503, times: 2 });
    expect(await planGrantScore(session, A)).toHaveLength(items.length);
  });

  it('failing models do not stop the ladder: the runner records each error and runs the rest', async () => {
    const session = createHubSession({ host: server.url, retry: FAST_RETRY });
    server.setFault(A, ONNX, { kind: 'truncate' });
    const spec: ExperimentSpec = {
      format: 'emergence-lab/spec',
      version: 1,
      appVersion: '0.1.0',
      task: { kind: 'arithmetic', operation: 'add', digits: [1, 2], perVariant: 3, seed: 1, kShot: 0, template: 'arith-plain' },
      models: [hubRef(A), hubRef('lab-test/bert-like'), hubRef(B)],
      metrics: [...GENERATION_METRIC_IDS],
      bootstrapSeed: 1,
    };
    const plan = await session.planDownload(spec.models);
    session.grant(plan);
    // Run the pinned refs; a model the plan refused keeps its ref and fails with the plan's reason.
    const models = spec.models.map((r) => plan.models.find((m) => m.repoId === r.id)?.ref ?? r);
    const result = await runExperiment({ ...spec, models }, hubEngine(session), { env: nodeEnvironment(), paramsOf: (r) => plan.models.find((m) => m.repoId === r.id)?.params ?? null });
    expect(result.models.map((m) => m.status)).toEqual(['error', 'error', 'done']);
    expect(result.models[0].error).toMatch(new RegExp(`^${A}: could not be loaded: download of ${ONNX} failed`));
    expect(result.models[1].error).toMatch(/^lab-test\/bert-like: could not be loaded: architecture "bert" is not a causal language model/);
    expect(result.spec.models.filter((m) => m.id !== 'lab-test/bert-like').every((m) => m.revision === server.sha)).toBe(true);
  });
});

describe('cache', () => {
  async function loadTwice(store: ModelFileStore) {
    await planGrantScore(createHubSession({ host: server.url, store, retry: FAST_RETRY }), A);
    server.resetLog();
    const session = createHubSession({ host: server.url, store, retry: FAST_RETRY });
    const plan = await session.planDownload([hubRef(A, server.sha)]);
    expect(plan.downloadBytes).toBe(0);
    session.grant(plan);
    const model = await hubEngine(session).load(plan.models[0].ref);
    await model.dispose();
  }

  it('a cached model plans and loads with zero requests (memory store)', async () => {
    await loadTwice(new MemoryModelStore());
    expect(server.log).toEqual([]);
  });

  it('a directory store survives sessions; the cache manager lists and deletes models', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emergence-hub-cache-'));
    try {
      const store = new DirectoryModelStore(dir);
      await loadTwice(store);
      expect(server.log).toEqual([]);
      const cached = await listCachedModels(store);
      expect(cached).toEqual([
        expect.objectContaining({ host: server.url, repoId: A, revision: server.sha, bytes: filesBytes(small.id) }),
      ]);
      expect(cached[0].files.map((f) => f.file).sort()).toEqual(REPO_FILES.filter((f) => existsSync(join(dirOf(small.id), f))).sort());
      expect(await deleteCachedModel(store, A)).toBe(cached[0].bytes);
      expect(await listCachedModels(store)).toEqual([]);
      const plan = await createHubSession({ host: server.url, store }).planDownload([hubRef(A, server.sha)]);
      expect(plan.cachedBytes).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
