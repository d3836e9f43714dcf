import { describe, expect, it } from 'vitest';
import { ConsentRequiredError } from '../../../src/lib/hub/errors.ts';
import { createHubSession } from '../../../src/lib/hub/session.ts';
import { MemoryModelStore } from '../../../src/lib/hub/store.ts';
import type { DownloadPlan } from '../../../src/lib/hub/plan.ts';

const host = 'https://hub.example';
const sha = 'f'.repeat(40);
const fileUrl = (file: string, rev = sha) => `${host}/a/b/resolve/${rev}/${file}`;

function planFor(files: Record<string, number>): DownloadPlan {
  const planned = Object.entries(files).map(([file, bytes]) => ({ repoId: 'a/b', revision: sha, file, url: fileUrl(file), bytes, cached: false }));
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
});
