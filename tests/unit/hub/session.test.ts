import { describe, expect, it } from 'vitest';
import { ConsentRequiredError } from '../../../src/lib/hub/errors.ts';
import { createHubSession } from '../../../src/lib/hub/session.ts';
import { CacheApiModelStore, listCachedModels, MemoryModelStore, type CacheLike } from '../../../src/lib/hub/store.ts';
import { createHash } from 'node:crypto';
import type { DownloadPlan } from '../../../src/lib/hub/plan.ts';

const host = 'https://hub.example';
const sha = 'f'.repeat(40);
const fileUrl = (file: string, rev = sha) => `${host}/a/b/resolve/${rev}/${file}`;

function planFor(files: Record<string, number>, hashes: Record<string, string> = {}): DownloadPlan {
  const planned = Object.entries(files).map(([file, bytes]) => ({ repoId: 'a/b', revision: sha, file, url: fileUrl(file), bytes, sha256: hashes[file] ?? null, cached: false }));
  return {
    host,
    models: [{
      ref: { id: 'a/b', source: 'hub', revision: sha, dtype: 'fp32', device: 'cpu' }, repoId: 'a/b', sha, dtype: 'fp32', modelType: 'gpt2', params: 1,
      paramsEstimated: true, files: planned, absentOptional: [], totalBytes: 0, cachedBytes: 0, downloadBytes: 0, sizesIncomplete: false,
    }],
    failed: [], files: planned, totalBytes: 0, cachedBytes: 0, downloadBytes: 0, consentThresholdBytes: 0, needsConsent: false, warnings: [],
  };
}

describe('HubSession', () => {
  it('keeps only what its own fetch verified; other URLs pass through untouched', async () => {
    const requests: string[] = [];
    const store = new MemoryModelStore();
    const session = createHubSession({
      host,
      store,
      fetch: async (input) => {
        requests.push(String(input));
        return new Response('12345', { headers: { 'content-length': '5' } });
      },
    });
    // A body that did not come through session.fetch is handed back once, never stored.
    await session.cache.put(fileUrl('config.json'), new Response('abc'));
    expect(await store.size(fileUrl('config.json'))).toBeNull();
    expect(await (await session.cache.match(fileUrl('config.json')))!.text()).toBe('abc');
    expect(await session.cache.match(fileUrl('config.json'))).toBeUndefined();

    await expect(session.fetch(fileUrl('config.json'))).rejects.toBeInstanceOf(ConsentRequiredError);
    expect(requests).toEqual([]);
    session.grant(planFor({ 'config.json': 5 }));
    await session.cache.put(fileUrl('config.json'), await session.fetch(fileUrl('config.json')));
    expect(await store.size(fileUrl('config.json'))).toBe(5);

    // Bundled files (the app's own URLs) are neither gated nor cached.
    expect(await (await session.fetch('https://app.example/models/arith/x/config.json')).text()).toBe('12345');
    await session.cache.put('/models/arith/x/config.json', new Response('x'));
    expect(await session.cache.match('/models/arith/x/config.json')).toBeUndefined();
    expect(await store.entries()).toHaveLength(1);
  });

  it('answers known-absent optional files and cached metadata without a request, and pins "main" to the granted commit', async () => {
    const requests: string[] = [];
    const store = new MemoryModelStore();
    await store.putAbsent(fileUrl('generation_config.json'));
    await store.put(fileUrl('onnx/model.onnx'), new Uint8Array([9, 8, 7]));
    const session = createHubSession({ host, store, fetch: async (input) => (requests.push(String(input)), new Response(null, { status: 500 })) });
    session.grant(planFor({ 'onnx/model.onnx': 3 }));
    expect((await session.fetch(fileUrl('generation_config.json'))).status).toBe(404);
    const probe = await session.fetch(fileUrl('onnx/model.onnx', 'main'), { headers: { Range: 'bytes=0-0' } });
    expect([probe.status, probe.headers.get('content-range'), [...new Uint8Array(await probe.arrayBuffer())]]).toEqual([206, 'bytes 0-0/3', [9]]);
    expect((await session.fetch(fileUrl('onnx/model.onnx'), { method: 'HEAD' })).headers.get('content-length')).toBe('3');
    expect(await (await session.cache.match(fileUrl('onnx/model.onnx', 'main')))!.arrayBuffer()).toEqual(new Uint8Array([9, 8, 7]).buffer);
    expect(requests).toEqual([]);
    expect(() => session.grant({ ...planFor({}), host: 'https://elsewhere.example' })).toThrow(/not https:\/\/hub\.example/);
  });

  it('browser path: a download transformers.js has read whole is streamed into the Cache API once verified, marked with its hash; a mismatch is never stored', async () => {
    const entries = new Map<string, { body: ArrayBuffer; headers: Headers }>();
    const puts: string[] = [];
    const cache: CacheLike = {
      async match(u) {
        const e = entries.get(u);
        return e ? new Response(e.body, { headers: e.headers }) : undefined;
      },
      async put(u, r) {
        puts.push(u);
        entries.set(u, { body: await r.arrayBuffer(), headers: r.headers });
      },
      async delete(u) {
        return entries.delete(u);
      },
      async keys() {
        return [...entries.keys()].map((url) => ({ url }));
      },
    };
    const store = new CacheApiModelStore('t', async () => cache);
    const body = new Uint8Array(4096).map((_, i) => i % 253);
    const good = createHash('sha256').update(body).digest('hex');
    let served = body;
    const session = createHubSession({ host, store, fetch: async () => new Response(served.slice(), { headers: { 'content-length': String(served.length) } }) });
    session.grant(planFor({ 'onnx/model.onnx': body.length }, { 'onnx/model.onnx': good }));
    // As transformers.js does in the browser: read the response, then put a Response of the buffer.
    const read = new Uint8Array(await (await session.fetch(fileUrl('onnx/model.onnx'))).arrayBuffer());
    await session.cache.put(fileUrl('onnx/model.onnx'), new Response(read, { headers: { 'content-length': String(read.length) } }));
    expect(puts).toEqual([fileUrl('onnx/model.onnx')]);
    expect((await listCachedModels(store))[0].files).toEqual([{ file: 'onnx/model.onnx', bytes: body.length, hashVerified: true }]);

    await store.delete(fileUrl('onnx/model.onnx'));
    served = body.map((b, i) => (i === 100 ? b ^ 1 : b));
    const res = await session.fetch(fileUrl('onnx/model.onnx'));
    await expect(res.arrayBuffer()).rejects.toThrow(/SHA-256 [0-9a-f]{12}…, but the host publishes [0-9a-f]{12}…/);
    await session.cache.put(fileUrl('onnx/model.onnx'), new Response(served, { headers: { 'content-length': String(served.length) } }));
    expect(await store.size(fileUrl('onnx/model.onnx'))).toBeNull();
  });
});
