import { describe, expect, it } from 'vitest';
import { HostUnreachableError, hostLabel, hostProbeUrl, probeHost } from '../../../src/lib/hub/reach.ts';

describe('the model host probe', () => {
  it('asks one URL that names no repository, and reads any HTTP answer as reachable', async () => {
    const asked: string[] = [];
    const r = await probeHost('https://hub.example/', {
      fetch: async (url) => {
        asked.push(String(url));
        return new Response('not here', { status: 404 });
      },
    });
    expect(asked).toEqual(['https://hub.example/api/models?limit=1']);
    expect(r).toMatchObject({ reachable: true, status: 404 });
    expect(hostProbeUrl('http://127.0.0.1:9')).toBe('http://127.0.0.1:9/api/models?limit=1');
  });

  it('reports a network error once, with its detail, and never retries', async () => {
    let calls = 0;
    const r = await probeHost('http://127.0.0.1:9', {
      fetch: async () => {
        calls++;
        throw new TypeError('Failed to fetch');
      },
    });
    expect(calls).toBe(1);
    expect(r.reachable).toBe(false);
    if (r.reachable) return;
    expect(r.detail).toBe('Failed to fetch');
    const err = new HostUnreachableError(r);
    expect(err.message).not.toMatch(/Can't reach/); // the page shows that sentence once, elsewhere
    expect(err.repoId).toBeNull();
  });

  it('gives up after its deadline on a host that never answers (AbortSignal.timeout)', async () => {
    const r = await probeHost('https://blackhole.example', {
      timeoutMs: 50,
      fetch: (_url, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    });
    expect(r).toMatchObject({ reachable: false, detail: 'no answer within 50 ms' });
    expect(r.ms).toBeGreaterThanOrEqual(40);
    expect(r.ms).toBeLessThan(2_000);
  });

  it('labels hosts as a visitor reads them', () => {
    expect(hostLabel('https://huggingface.co')).toBe('huggingface.co');
    expect(hostLabel('http://127.0.0.1:8080')).toBe('127.0.0.1:8080');
  });
});
