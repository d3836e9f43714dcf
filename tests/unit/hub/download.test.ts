import { describe, expect, it } from 'vitest';
import { verifiedDownload, type DownloadHooks } from '../../../src/lib/hub/download.ts';
import { DownloadError } from '../../../src/lib/hub/errors.ts';
import type { FetchFn } from '../../../src/lib/hub/http.ts';

const sha = 'd'.repeat(40);
const target = { url: `https://hub.example/a/b/resolve/${sha}/onnx/model.onnx`, repoId: 'a/b', revision: sha, file: 'onnx/model.onnx' };
const policy = { retries: 2, baseDelayMs: 1, maxDelayMs: 2, stallTimeoutMs: 200, maxRetryAfterMs: 1_000 };
const FILE = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);

/** A body that sends `bytes` then errors (a reset) or stalls forever. */
function brokenBody(bytes: Uint8Array, end: 'error' | 'stall' | 'close'): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(c) {
      if (!sent) {
        sent = true;
        c.enqueue(bytes);
        return;
      }
      if (end === 'error') c.error(new TypeError('terminated'));
      else if (end === 'close') c.close();
      else return new Promise(() => undefined);
    },
  });
}

type Step = (init: RequestInit) => Response | Promise<Response>;
function scripted(steps: Step[]): { fetch: FetchFn; calls: RequestInit[] } {
  const calls: RequestInit[] = [];
  return {
    calls,
    fetch: async (_input, init = {}) => {
      calls.push(init);
      const step = steps.shift();
      if (!step) throw new Error('unexpected request');
      return step(init);
    },
  };
}

async function readAll(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

const ok = (body: BodyInit | null, headers: Record<string, string>, status = 200) => new Response(body, { status, headers });
const hooks = (extra: Partial<DownloadHooks> = {}): DownloadHooks => ({ policy, ...extra });

describe('verifiedDownload', () => {
  it('streams a whole file with progress and reports completion', async () => {
    const { fetch } = scripted([() => ok(FILE, { 'content-length': '1000', etag: '"e"' })]);
    const progress: number[] = [];
    let done: [number, boolean] | null = null;
    const res = await verifiedDownload(fetch, target, {}, hooks({ expectedBytes: 1000, onProgress: (l) => progress.push(l), onComplete: (b, c) => (done = [b, c]) }));
    expect(await readAll(res)).toEqual(FILE);
    expect(res.headers.get('content-length')).toBe('1000');
    expect(progress.at(-1)).toBe(1000);
    expect(done).toEqual([1000, true]);
  });

  it('resumes a cut connection with a Range request and gets the exact bytes', async () => {
    const { fetch, calls } = scripted([
      () => ok(brokenBody(FILE.slice(0, 300), 'error'), { 'content-length': '1000', etag: '"e"' }),
      () => ok(FILE.slice(300), { 'content-length': '700', 'content-range': 'bytes 300-999/1000', etag: '"e"' }, 206),
    ]);
    const retries: string[] = [];
    const res = await verifiedDownload(fetch, target, {}, hooks({ onRetry: (_a, _d, r) => retries.push(r) }));
    expect(await readAll(res)).toEqual(FILE);
    const h = new Headers(calls[1].headers);
    expect([h.get('range'), h.get('if-range')]).toEqual(['bytes=300-', null]);
    expect(retries[0]).toMatch(/connection failed after 300 of 1000 bytes/);
  });

  it('refuses to stitch a file that changed or a range that starts elsewhere', async () => {
    const a = scripted([
      () => ok(brokenBody(FILE.slice(0, 300), 'error'), { 'content-length': '1000', etag: '"e"' }),
      () => ok(FILE.slice(300), { 'content-range': 'bytes 300-999/1000', etag: '"f"' }, 206),
    ]);
    expect(await readAll(await verifiedDownload(a.fetch, target, {}, hooks())).catch((e: unknown) => e)).toMatchObject({ reason: 'changed' });
    const b = scripted([
      () => ok(brokenBody(FILE.slice(0, 300), 'error'), { 'content-length': '1000' }),
      () => ok(FILE.slice(200), { 'content-range': 'bytes 200-999/1000' }, 206),
    ]);
    expect(await readAll(await verifiedDownload(b.fetch, target, {}, hooks())).catch((e: unknown) => e)).toMatchObject({ reason: 'changed' });
  });

  it('skips what it already has when the host ignores the Range', async () => {
    const { fetch } = scripted([
      () => ok(brokenBody(FILE.slice(0, 300), 'close'), { 'content-length': '1000' }),
      () => ok(FILE, { 'content-length': '1000' }),
    ]);
    expect(await readAll(await verifiedDownload(fetch, target, {}, hooks()))).toEqual(FILE);
  });

  it('resumes after a stall', async () => {
    const { fetch } = scripted([
      () => ok(brokenBody(FILE.slice(0, 10), 'stall'), { 'content-length': '1000' }),
      () => ok(FILE.slice(10), { 'content-range': 'bytes 10-999/1000' }, 206),
    ]);
    expect(await readAll(await verifiedDownload(fetch, target, {}, hooks()))).toEqual(FILE);
  });

  it('fails with a DownloadError after the retries, never delivering a short body', async () => {
    const cut = () => ok(brokenBody(FILE.slice(0, 1), 'close'), { 'content-length': '1000' });
    const partial = () => ok(brokenBody(new Uint8Array(0), 'close'), { 'content-range': 'bytes 1-999/1000' }, 206);
    const { fetch } = scripted([cut, partial, partial]);
    const failed: DownloadError[] = [];
    const res = await verifiedDownload(fetch, target, {}, hooks({ onFailed: (e) => failed.push(e) }));
    const err = await readAll(res).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err).toMatchObject({ reason: 'truncated', file: 'onnx/model.onnx', repoId: 'a/b', attempts: 3 });
    expect((err as Error).message).toMatch(/^a\/b: download of onnx\/model\.onnx failed after 3 attempts: the body ended after 1 of 1000 bytes/);
    expect(failed).toEqual([err]);
  });

  it('refuses a Content-Length that disagrees with the planned size, and a body longer than announced', async () => {
    const a = scripted([() => ok(FILE, { 'content-length': '1000' })]);
    await expect(verifiedDownload(a.fetch, target, {}, hooks({ expectedBytes: 999 }))).rejects.toMatchObject({ reason: 'length-mismatch' });
    const b = scripted([() => ok(FILE, { 'content-length': '999' })]);
    const err = await readAll(await verifiedDownload(b.fetch, target, {}, hooks())).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'length-mismatch', message: expect.stringMatching(/more than the 999 bytes announced/) });
  });

  it('passes a 404 through, refuses other statuses and a different commit', async () => {
    const a = scripted([() => ok(null, {}, 404)]);
    expect((await verifiedDownload(a.fetch, target, {}, hooks())).status).toBe(404);
    const b = scripted([() => ok(null, {}, 403)]);
    await expect(verifiedDownload(b.fetch, target, {}, hooks())).rejects.toMatchObject({ reason: 'http', message: expect.stringMatching(/HTTP 403/) });
    const c = scripted([() => ok(FILE, { 'content-length': '1000', 'x-repo-commit': 'e'.repeat(40) })]);
    await expect(verifiedDownload(c.fetch, target, {}, hooks())).rejects.toMatchObject({ reason: 'revision-mismatch' });
  });

  it('retries network errors and 5xx before the body, then gives up', async () => {
    const fail = () => {
      throw new TypeError('fetch failed');
    };
    const a = scripted([fail, () => ok(null, {}, 502), () => ok(FILE, { 'content-length': '1000' })]);
    expect(await readAll(await verifiedDownload(a.fetch, target, {}, hooks()))).toEqual(FILE);
    const b = scripted([fail, fail, fail]);
    await expect(verifiedDownload(b.fetch, target, {}, hooks())).rejects.toMatchObject({ reason: 'network', attempts: 3 });
  });

  it('a body without any known length still streams but is not marked verified', async () => {
    const { fetch } = scripted([() => ok(brokenBody(FILE, 'close'), {})]);
    let checked: boolean | null = null;
    const res = await verifiedDownload(fetch, target, {}, hooks({ onComplete: (_b, c) => (checked = c) }));
    expect(await readAll(res)).toEqual(FILE);
    expect(checked).toBe(false);
  });

  it('cancellation fails the download', async () => {
    const controller = new AbortController();
    const { fetch } = scripted([() => ok(brokenBody(FILE.slice(0, 10), 'stall'), { 'content-length': '1000' })]);
    // A stall timeout far beyond the test's: the abort itself must end the waiting read.
    const res = await verifiedDownload(fetch, target, {}, hooks({ signal: controller.signal, policy: { ...policy, stallTimeoutMs: 60_000 } }));
    const reading = readAll(res).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 20);
    expect(await reading).toMatchObject({ reason: 'cancelled' });
  });
});

describe('published hashes and Retry-After', () => {
  it('reads a SHA-256 from ETag-style headers only when it is one', async () => {
    const { sha256OfEtag } = await import('../../../src/lib/hub/download.ts');
    expect(sha256OfEtag(`"${'A'.repeat(64)}"`)).toBe('a'.repeat(64));
    expect(sha256OfEtag(`W/"${'b'.repeat(64)}"`)).toBe('b'.repeat(64));
    expect(sha256OfEtag(`"${'c'.repeat(40)}"`)).toBeNull(); // a git blob id (sha1)
    expect(sha256OfEtag(null)).toBeNull();
  });

  it('parses Retry-After as seconds or an HTTP date', async () => {
    const { parseRetryAfter } = await import('../../../src/lib/hub/http.ts');
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });

  it('a body whose hash differs from the published one errors the stream; the right one completes with its hash', async () => {
    const good = (await import('node:crypto')).createHash('sha256').update(FILE).digest('hex');
    let done: [number, boolean, string | null] | null = null;
    const ok1 = scripted([() => ok(FILE, { 'content-length': '1000', 'x-linked-etag': `"${good}"` })]);
    const res = await verifiedDownload(ok1.fetch, target, {}, hooks({ onComplete: (b, c, h) => (done = [b, c, h]) }));
    expect(await readAll(res)).toEqual(FILE);
    expect(done).toEqual([1000, true, good]);
    const bad = FILE.slice();
    bad[500] ^= 1;
    const failed: DownloadError[] = [];
    const s2 = scripted([() => ok(bad, { 'content-length': '1000' })]);
    const res2 = await verifiedDownload(s2.fetch, target, {}, hooks({ expectedSha256: good, onFailed: (e) => failed.push(e) }));
    await expect(readAll(res2)).rejects.toThrow(DownloadError);
    expect(failed.map((e) => e.reason)).toEqual(['hash-mismatch']);
  });
});
