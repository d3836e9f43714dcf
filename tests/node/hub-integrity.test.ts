/**
 * Hub downloads that cannot poison the lab, and Hub layouts that really occur (issue 16, 20):
 * content hashes checked while streaming, corrupt cached weights evicted, external-data models
 * end to end, the legacy layout refused with its reason, NaN rungs named, hostile listings
 * refused fast. Real engine (onnxruntime-node) against the local Hub imitation.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadLadder, MODELS_DIR, NODE_RUNTIME, nodeEnvironment } from '../../src/cli/node-engine.ts';
import { modelsByScale } from '../../src/lib/catalog/ladder.ts';
import { ModelLoadError } from '../../src/lib/engine/errors.ts';
import { createTransformersEngine } from '../../src/lib/engine/transformers-backend.ts';
import {
  CorruptCachedModelError,
  createHubSession,
  DownloadError,
  findHubError,
  listCachedModels,
  MemoryModelStore,
  probeDtypes,
  type HubEvent,
  type HubSession,
} from '../../src/lib/hub/index.ts';
import { runExperiment } from '../../src/lib/run/runner.ts';
import type { ExperimentSpec, ModelRef } from '../../src/lib/spec/schema.ts';
import { generateArithmeticItems } from '../../src/lib/tasks/arithmetic.ts';
import { startHubServer, type HubServer } from '../helpers/hub-server.ts';

const ladder = await loadLadder('arith');
const [small, next] = modelsByScale(ladder);
const dirOf = (id: string) => join(MODELS_DIR, 'arith', id);
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'models');
const EXTERNAL_DIR = join(FIXTURES, 'external-data', 'arith-l1-d12-external');
const A = `lab-test/${small.id}`;
const B = `lab-test/${next.id}`;
const EXT = 'lab-test/external-weights';
const EXT_NO_HINT = 'lab-test/external-weights-no-hint';
const LEGACY = 'lab-test/legacy-layout';
const NAN = 'lab-test/nan-logits';
const DEEP = 'lab-test/deep-listing';
const ONNX = 'onnx/model.onnx';
const FAST_RETRY = { retries: 2, baseDelayMs: 10, maxDelayMs: 40, stallTimeoutMs: 2_000 };
const items = generateArithmeticItems({ kind: 'arithmetic', operation: 'add', digits: [1, 2], perVariant: 4, seed: 3, kShot: 0, template: 'arith-plain' });
const hubRef = (id: string, revision: string | null = null): ModelRef => ({ id, source: 'hub', revision, dtype: 'fp32', device: 'cpu' });
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let server: HubServer;

beforeAll(async () => {
  const config = JSON.parse(readFileSync(join(EXTERNAL_DIR, 'config.json'), 'utf8'));
  delete config['transformers.js_config'];
  server = await startHubServer({
    repos: {
      [A]: { dir: dirOf(small.id) },
      [B]: { dir: dirOf(next.id) },
      [EXT]: { dir: EXTERNAL_DIR },
      // config.json says nothing of external data: only the listing shows the .onnx_data file.
      [EXT_NO_HINT]: { dir: EXTERNAL_DIR, files: { 'config.json': JSON.stringify(config) } },
      [LEGACY]: {
        files: {
          'config.json': readFileSync(join(dirOf(small.id), 'config.json')),
          'tokenizer.json': readFileSync(join(dirOf(small.id), 'tokenizer.json')),
          'tokenizer_config.json': readFileSync(join(dirOf(small.id), 'tokenizer_config.json')),
          'onnx/decoder_model_merged.onnx': readFileSync(join(dirOf(small.id), ONNX)),
          'onnx/decoder_model_merged_quantized.onnx': new Uint8Array(10),
        },
      },
      [NAN]: { dir: join(FIXTURES, 'broken', 'nan-logits') },
      [DEEP]: { dir: dirOf(small.id), listing: '['.repeat(200_000) },
    },
  });
});
afterAll(() => server?.close());
beforeEach(() => {
  server.clearFaults();
  server.resetLog();
});

function engineOf(session: HubSession) {
  return createTransformersEngine({ localModelPath: MODELS_DIR, ...NODE_RUNTIME, ...session.engineConfig() });
}

async function planGrantScore(session: HubSession, ref: ModelRef) {
  const plan = await session.planDownload([ref]);
  expect(plan.failed).toEqual([]);
  session.grant(plan);
  const model = await engineOf(session).load(plan.models[0].ref);
  try {
    return { plan, results: await model.score(items) };
  } finally {
    await model.dispose();
  }
}

describe('content hashes', () => {
  it('the plan carries the listing\'s SHA-256 for LFS files; a verified download is cached and marked so', async () => {
    const store = new MemoryModelStore();
    const { plan } = await planGrantScore(createHubSession({ host: server.url, store, retry: FAST_RETRY }), hubRef(A));
    const onnx = plan.models[0].files.find((f) => f.file === ONNX)!;
    expect(onnx.sha256).toBe(sha256(readFileSync(join(dirOf(small.id), ONNX))));
    expect(plan.models[0].files.find((f) => f.file === 'config.json')!.sha256).toBeNull();
    const [cached] = await listCachedModels(store);
    const marks = Object.fromEntries(cached.files.map((f) => [f.file, f.hashVerified]));
    expect(marks[ONNX]).toBe(true);
    expect(marks['config.json']).toBe(false); // no published hash: length-checked only
  });

  it('corrupt bytes of the right length are refused before the cache: the message names the file and the hash mismatch', async () => {
    const store = new MemoryModelStore();
    const session = createHubSession({ host: server.url, store, retry: FAST_RETRY });
    const events: HubEvent[] = [];
    session.onEvent((e) => events.push(e));
    const plan = await session.planDownload([hubRef(A)]);
    session.grant(plan);
    for (const at of [0, Math.floor(statSync(join(dirOf(small.id), ONNX)).size / 2), statSync(join(dirOf(small.id), ONNX)).size - 4]) {
      server.setFault(A, ONNX, { kind: 'corrupt', at, count: 4 });
      const err = await engineOf(session).load(plan.models[0].ref).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelLoadError);
      expect(findHubError(err)).toMatchObject({ name: 'DownloadError', reason: 'hash-mismatch', file: ONNX });
      expect((err as Error).message).toMatch(new RegExp(`^${A}: could not be loaded: download of ${ONNX} failed: .*SHA-256 [0-9a-f]{12}…, but the host publishes [0-9a-f]{12}…`));
      expect(await store.size(plan.models[0].files.find((f) => f.file === ONNX)!.url)).toBeNull();
    }
    expect(events.filter((e) => e.type === 'cached' && e.file === ONNX)).toEqual([]);
    // The server is fixed: the next load downloads the good file and caches it.
    server.clearFaults();
    const model = await engineOf(session).load(plan.models[0].ref);
    await model.dispose();
    expect(await store.size(plan.models[0].files.find((f) => f.file === ONNX)!.url)).toBe(statSync(join(dirOf(small.id), ONNX)).size);
  });

  it('a corrupt file planted in the cache is evicted on first use, with a message that offers a fresh download', async () => {
    const store = new MemoryModelStore();
    const { plan } = await planGrantScore(createHubSession({ host: server.url, store, retry: FAST_RETRY }), hubRef(A));
    const url = plan.models[0].files.find((f) => f.file === ONNX)!.url;
    const good = new Uint8Array(await (await store.match(url))!.arrayBuffer());
    const bad = good.slice();
    for (let i = 0; i < 64; i++) bad[i] ^= 0x5a; // the protobuf header: ONNX Runtime cannot parse it
    await store.put(url, bad, { sha256: sha256(good) });

    server.resetLog();
    const session = createHubSession({ host: server.url, store, retry: FAST_RETRY });
    const plan2 = await session.planDownload([hubRef(A, server.sha)]);
    session.grant(plan2);
    const err = await engineOf(session).load(plan2.models[0].ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    const evicted = await session.evictAfterLoadFailure(A, err);
    expect(evicted).toBeInstanceOf(CorruptCachedModelError);
    expect(evicted!.message).toMatch(new RegExp(`^${A}: the cached copy of ${ONNX} could not be loaded as an ONNX model .*removed from the cache\\. Run the model again to download it again\\.$`));
    expect(evicted!.message.length).toBeLessThan(400);
    expect(await store.size(url)).toBeNull();
    expect(await store.size(url.replace(ONNX, 'config.json'))).not.toBeNull();
    // Run again: it plans a download of the evicted file only, downloads it and loads.
    const plan3 = await session.planDownload([hubRef(A, server.sha)]);
    expect(plan3.downloadBytes).toBe(good.byteLength);
    session.grant(plan3);
    const model = await engineOf(session).load(plan3.models[0].ref);
    await model.dispose();
    // A failure of another kind (here: a model never served from the cache) evicts nothing.
    expect(await session.evictAfterLoadFailure(B, new Error('Protobuf parsing failed'))).toBeNull();
  });

  it('a ladder whose first rung is corrupt runs its other rungs, and another run works after it', async () => {
    const session = createHubSession({ host: server.url, store: new MemoryModelStore(), retry: FAST_RETRY });
    server.setFault(A, ONNX, { kind: 'corrupt' });
    const spec: ExperimentSpec = {
      format: 'emergence-lab/spec',
      version: 1,
      appVersion: '0.1.0',
      task: { kind: 'arithmetic', operation: 'add', digits: [1, 2], perVariant: 3, seed: 1, kShot: 0, template: 'arith-plain' },
      models: [hubRef(A), hubRef(B)],
      metrics: ['exact_match'],
      bootstrapSeed: 1,
    };
    const plan = await session.planDownload(spec.models);
    session.grant(plan);
    const run = () => runExperiment({ ...spec, models: plan.models.map((m) => m.ref) }, engineOf(session), { env: nodeEnvironment(), paramsOf: () => null });
    const first = await run();
    expect(first.models.map((m) => m.status)).toEqual(['error', 'done']);
    expect(first.models[0].error).toMatch(/SHA-256/);
    server.clearFaults();
    expect((await run()).models.map((m) => m.status)).toEqual(['done', 'done']);
  });
});

describe('external-data weights (.onnx + .onnx_data)', () => {
  it.each([
    ['config.json names the external data', EXT],
    ['only the listing shows it', EXT_NO_HINT],
  ])('%s: planned with both files and sizes, downloaded, verified, scored like the bundled model, then served from the cache', async (_name, repo) => {
    const store = new MemoryModelStore();
    const session = createHubSession({ host: server.url, store, retry: FAST_RETRY });
    const { plan, results } = await planGrantScore(session, hubRef(repo));
    const m = plan.models[0];
    expect(m.externalDataChunks).toBe(1);
    const sizes = Object.fromEntries(m.files.map((f) => [f.file, f.bytes]));
    expect(sizes[ONNX]).toBe(statSync(join(EXTERNAL_DIR, ONNX)).size);
    expect(sizes[`${ONNX}_data`]).toBe(statSync(join(EXTERNAL_DIR, `${ONNX}_data`)).size);
    expect(m.files.find((f) => f.file === `${ONNX}_data`)!.sha256).toBe(sha256(readFileSync(join(EXTERNAL_DIR, `${ONNX}_data`))));
    expect(plan.downloadBytes).toBe(m.totalBytes);

    // Same weights as the bundled model: the same log-probs.
    const bundled = await createTransformersEngine({ localModelPath: MODELS_DIR, ...NODE_RUNTIME }).load({ id: `arith/${small.id}`, source: 'bundled', revision: null, dtype: 'fp32', device: 'cpu' });
    const expected = await bundled.score(items);
    await bundled.dispose();
    expect(results.length).toBe(items.length);
    expect(results).toEqual(expected);

    const [cached] = await listCachedModels(store);
    expect(cached.files.filter((f) => f.file.startsWith('onnx/')).map((f) => [f.file, f.hashVerified]).sort()).toEqual([
      [ONNX, true],
      [`${ONNX}_data`, true],
    ]);
    server.resetLog();
    const again = createHubSession({ host: server.url, store, retry: FAST_RETRY });
    const plan2 = await again.planDownload([hubRef(repo, server.sha)]);
    expect(plan2.downloadBytes).toBe(0);
    again.grant(plan2);
    const model = await engineOf(again).load(plan2.models[0].ref);
    await model.dispose();
    expect(server.log).toEqual([]);
  });

  it('a corrupt .onnx_data is refused by its hash like any weights file', async () => {
    const session = createHubSession({ host: server.url, store: new MemoryModelStore(), retry: FAST_RETRY });
    const plan = await session.planDownload([hubRef(EXT)]);
    session.grant(plan);
    server.setFault(EXT, `${ONNX}_data`, { kind: 'corrupt' });
    const err = await engineOf(session).load(plan.models[0].ref).catch((e: unknown) => e);
    expect(findHubError(err)).toMatchObject({ reason: 'hash-mismatch', file: `${ONNX}_data` });
  });
});

describe('layouts and numerics', () => {
  it('a repository with only the legacy decoder_model_merged layout is refused, saying why', async () => {
    const plan = await createHubSession({ host: server.url, retry: FAST_RETRY }).planDownload([hubRef(LEGACY)]);
    expect(plan.failed).toEqual([expect.objectContaining({ error: 'LegacyOnnxLayoutError' })]);
    expect(plan.failed[0].message).toMatch(/legacy ONNX layout \(onnx\/decoder_model_merged.*\), which the lab does not load: transformers\.js looks for onnx\/model\.onnx/);
    expect(server.count({ kind: 'file', method: 'HEAD' })).toBe(0);
  });

  it('a model producing NaN logits fails its rung with a message suggesting fp32 or q4; the next rung runs', async () => {
    const session = createHubSession({ host: server.url, store: new MemoryModelStore(), retry: FAST_RETRY });
    const refs = [hubRef(NAN), hubRef(B)];
    const plan = await session.planDownload(refs);
    session.grant(plan);
    const spec: ExperimentSpec = {
      format: 'emergence-lab/spec',
      version: 1,
      appVersion: '0.1.0',
      task: { kind: 'arithmetic', operation: 'add', digits: [1], perVariant: 2, seed: 1, kShot: 0, template: 'arith-plain' },
      models: plan.models.map((m) => m.ref),
      metrics: ['exact_match'],
      bootstrapSeed: 1,
    };
    const result = await runExperiment(spec, engineOf(session), { env: nodeEnvironment(), paramsOf: () => null });
    expect(result.models.map((m) => m.status)).toEqual(['error', 'done']);
    expect(result.models[0].error).toMatch(new RegExp(`^${NAN} \\(fp32 on cpu\\) produced NaN or infinite values .*Run it again with fp32 or q4\\.$`));
  });

  it('a deeply nested listing is refused fast with a short, readable message', async () => {
    const t0 = performance.now();
    const err = await probeDtypes(server.url, DEEP, server.sha, { retry: FAST_RETRY }).catch((e: unknown) => e);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(100);
    expect((err as Error).name).toBe('HubUnavailableError');
    expect((err as Error).message).toMatch(/^lab-test\/deep-listing: could not list the repository's files: the answer nests arrays or objects more than 16 levels deep/);
    expect((err as Error).message.length).toBeLessThan(400);
    expect(err).not.toBeInstanceOf(DownloadError);
  });
});

describe('listing pages', () => {
  it('follows the Link header through a paged listing and finds the files of every page', async () => {
    const paged = await startHubServer({ repos: { [EXT]: { dir: EXTERNAL_DIR } }, treePageSize: 2 });
    try {
      const probes = await probeDtypes(paged.url, EXT, paged.sha, { retry: FAST_RETRY });
      expect(probes.map((p) => [p.dtype, p.externalData.map((e) => e.file)])).toEqual([['fp32', [`${ONNX}_data`]]]);
      // 6 files and the onnx/ directory: 7 entries, 2 a page, so 4 requests.
      expect(paged.count({ kind: 'tree' })).toBe(4);
    } finally {
      await paged.close();
    }
  });

  it('ignores a next link to another host', async () => {
    const { nextPageUrl } = await import('../../src/lib/hub/api.ts');
    expect(nextPageUrl('<https://huggingface.co/api/models/a/b/tree/main?cursor=x>; rel="next"', 'https://huggingface.co')).toBe('https://huggingface.co/api/models/a/b/tree/main?cursor=x');
    expect(nextPageUrl('<https://evil.example/x>; rel="next"', 'https://huggingface.co')).toBeNull();
    expect(nextPageUrl('<https://huggingface.co/x>; rel="prev"', 'https://huggingface.co')).toBeNull();
    expect(nextPageUrl(null, 'https://huggingface.co')).toBeNull();
  });
});

describe("transformers.js's ModelRegistry agrees with the plan's file list", () => {
  it.each([
    ['fp32, weights inside the .onnx', 'fp32', null],
    ['q4 with two external-data chunks named per file', 'q4', { 'model_q4.onnx': 2 }],
    ['fp16 with one chunk for every file', 'fp16', 1],
  ] as const)('%s', async (_name, dtype, ext) => {
    const { ModelRegistry } = await import('@huggingface/transformers');
    const base = JSON.parse(readFileSync(join(dirOf(small.id), 'config.json'), 'utf8'));
    const config = ext === null ? base : { ...base, 'transformers.js_config': { use_external_data_format: ext } };
    const theirs = await (ModelRegistry as unknown as { get_model_files: (id: string, o: object) => Promise<string[]> }).get_model_files('lab-test/any', { config, dtype, device: 'cpu' });
    const { dtypeFile, externalDataFiles } = await import('../../src/lib/hub/dtypes.ts');
    const { externalDataChunks, summarizeConfig } = await import('../../src/lib/hub/architectures.ts');
    const { OPTIONAL_FILES } = await import('../../src/lib/hub/plan.ts');
    const onnx = dtypeFile(dtype);
    const chunks = externalDataChunks(summarizeConfig('lab-test/any', config).externalData, onnx.slice('onnx/'.length));
    const ours = ['config.json', onnx, ...externalDataFiles(onnx, chunks), ...OPTIONAL_FILES];
    expect([...ours].sort()).toEqual([...theirs].sort());
  });
});
