import { describe, expect, it } from 'vitest';
import { cachedBytes, CacheApiModelStore, clearModelStore, deleteCachedModel, listCachedModels, MemoryModelStore, type CacheLike, type ModelFileStore } from '../../../src/lib/hub/store.ts';

/** A Map-backed stand-in for the browser's Cache API. */
function fakeCache(): CacheLike {
  const m = new Map<string, { body: ArrayBuffer; init: ResponseInit }>();
  return {
    async match(url) {
      const e = m.get(url);
      return e ? new Response(e.body.byteLength ? e.body : null, e.init) : undefined;
    },
    async put(url, res) {
      m.set(url, { body: await res.arrayBuffer(), init: { status: res.status, headers: res.headers } });
    },
    async delete(url) {
      return m.delete(url);
    },
    async keys() {
      return [...m.keys()].map((url) => ({ url }));
    },
  };
}

const sha = 'b'.repeat(40);
const url = (repo: string, file: string, rev = sha) => `https://hub.example/${repo}/resolve/${rev}/${file}`;

describe.each([
  ['MemoryModelStore', () => new MemoryModelStore()],
  ['CacheApiModelStore', () => new CacheApiModelStore('test', async () => fakeCache())],
] as [string, () => ModelFileStore][])('%s', (_name, make) => {
  it('stores files and absent markers, and lists, sizes and deletes models', async () => {
    const store = make();
    await store.put(url('a/small', 'config.json'), new Uint8Array([1, 2, 3]));
    await store.put(url('a/small', 'onnx/model.onnx'), new Uint8Array(10));
    await store.putAbsent(url('a/small', 'generation_config.json'));
    await store.put(url('a/big', 'onnx/model.onnx'), new Uint8Array(100));
    await store.put(url('a/big', 'onnx/model.onnx', 'c'.repeat(40)), new Uint8Array(7));

    expect(await store.size(url('a/small', 'config.json'))).toBe(3);
    expect(new Uint8Array(await (await store.match(url('a/small', 'config.json')))!.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    expect(await store.match(url('a/small', 'generation_config.json'))).toBeUndefined();
    expect(await store.isAbsent(url('a/small', 'generation_config.json'))).toBe(true);
    expect(await store.size(url('a/small', 'generation_config.json'))).toBeNull();
    expect(await cachedBytes(store)).toBe(120);

    const models = await listCachedModels(store);
    expect(models.map((m) => [m.repoId, m.revision.slice(0, 1), m.bytes, m.files.length])).toEqual([
      ['a/big', 'b', 100, 1],
      ['a/small', 'b', 13, 2],
      ['a/big', 'c', 7, 1],
    ]);
    expect(models[0].host).toBe('https://hub.example');

    expect(await deleteCachedModel(store, 'a/big', sha)).toBe(100);
    expect(await deleteCachedModel(store, 'a/small')).toBe(13);
    expect(await store.isAbsent(url('a/small', 'generation_config.json'))).toBe(false);
    expect((await listCachedModels(store)).map((m) => m.bytes)).toEqual([7]);
    expect(await clearModelStore(store)).toBe(7);
    expect(await store.entries()).toEqual([]);
  });
});
