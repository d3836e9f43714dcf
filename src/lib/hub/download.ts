/**
 * One verified file download, as a streaming Response transformers.js can read:
 * - the body is counted against Content-Length (and against the size the download plan
 *   measured): a short, long or cut-off body errors the stream with a DownloadError, so
 *   transformers.js never receives (or caches) an incomplete file;
 * - a failed or stalled connection is resumed with a Range request from the last byte received
 *   (the ETag must not change), with bounded retries and exponential backoff;
 * - the body is hashed while it streams (SHA-256, incremental: the file is never held for
 *   hashing) and compared with the hash the host publishes for LFS files (the plan's listing
 *   `lfs.oid`, else the response's X-Linked-Etag or a 64-hex ETag); a mismatch errors the stream
 *   with a DownloadError "hash-mismatch", so the file is neither used nor cached;
 * - progress is reported per chunk.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { DownloadError, type DownloadFailure } from './errors.ts';
import {
  describeNetworkError,
  isRetryableStatus,
  parseRetryAfter,
  RequestAborted,
  requestOnce,
  requestWithRetry,
  RetriesExhausted,
  retryDelay,
  sleep,
  type AttemptFailure,
  type FetchFn,
  type RetryPolicy,
} from './http.ts';
import { isCommitSha } from './repo.ts';

export interface DownloadTarget {
  url: string;
  repoId: string;
  revision: string;
  file: string;
}

export interface DownloadHooks {
  policy: RetryPolicy;
  signal?: AbortSignal;
  /** Size the download plan measured (listing); a different Content-Length is an error. */
  expectedBytes?: number | null;
  /** SHA-256 (hex) the plan's listing published; a body with another hash is refused. */
  expectedSha256?: string | null;
  onProgress?: (loaded: number, total: number | null) => void;
  onRetry?: (attempt: number, delayMs: number, reason: string) => void;
  /**
   * The whole body arrived; `lengthChecked` is false when no length was known to check it against;
   * `sha256` is the hash it was checked against (null: the host published none).
   */
  onComplete?: (bytes: number, lengthChecked: boolean, sha256: string | null) => void;
  onFailed?: (error: DownloadError) => void;
}

function parseLength(v: string | null): number | null {
  if (v === null || !/^\d+$/.test(v.trim())) return null;
  return Number(v.trim());
}

/** A SHA-256 from an ETag-style header ('"<64 hex>"', 'W/"…"'), or null when it is not one. */
export function sha256OfEtag(value: string | null): string | null {
  const m = /^(?:W\/)?"?([0-9a-fA-F]{64})"?$/.exec(value?.trim() ?? '');
  return m ? m[1].toLowerCase() : null;
}

function failureReason(f: AttemptFailure): DownloadFailure {
  return f.kind === 'http' ? 'http' : f.kind;
}

class StallError extends Error {}

/** The next chunk, or a StallError after `ms` without one; a cancelled download stops waiting at once. */
async function readWithStall(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  controller: AbortController,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Settle first, then abort: the read's own AbortError must not win the race.
      reject(new StallError(`no data for ${ms} ms`));
      controller.abort();
    }, ms);
    onAbort = () => {
      reject(new Error('cancelled'));
      controller.abort();
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([reader.read(), stall]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Start a download. Resolves with the host's response for a 404 (transformers.js treats some
 * files as optional); any other non-200 answer, or a failure after all retries, rejects with a
 * DownloadError. For a 200 it resolves with a Response whose body is verified while it streams.
 */
export async function verifiedDownload(fetchFn: FetchFn, target: DownloadTarget, init: RequestInit, hooks: DownloadHooks): Promise<Response> {
  const { policy, signal } = hooks;
  const { repoId, file, url } = target;
  const fail = (reason: DownloadFailure, detail: string, attempts: number, cause?: unknown): DownloadError => {
    const err = new DownloadError(repoId, file, reason, detail, { attempts, cause });
    hooks.onFailed?.(err);
    return err;
  };

  let first: Awaited<ReturnType<typeof requestWithRetry>>;
  try {
    first = await requestWithRetry(fetchFn, url, init, policy, {
      signal,
      onRetry: (attempt, delay, f) => hooks.onRetry?.(attempt, delay, f.detail),
    });
  } catch (err) {
    if (err instanceof RequestAborted) throw fail('cancelled', 'the download was cancelled', 1);
    if (err instanceof RetriesExhausted) throw fail(failureReason(err.failure), err.failure.detail, err.attempts, err);
    throw fail('network', describeNetworkError(err), 1, err);
  }
  const res = first.response;
  if (res.status === 404) return res;
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw fail('http', `the host answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, first.attempts);
  }

  const declared = parseLength(res.headers.get('content-length'));
  const expected = hooks.expectedBytes ?? null;
  if (expected !== null && declared !== null && declared !== expected) {
    first.controller.abort();
    throw fail('length-mismatch', `the host announced ${declared} bytes (Content-Length) but the file has ${expected} bytes`, first.attempts);
  }
  const commit = res.headers.get('x-repo-commit');
  if (isCommitSha(target.revision) && commit && commit !== target.revision) {
    first.controller.abort();
    throw fail('revision-mismatch', `the host served commit ${commit.slice(0, 12)} instead of ${target.revision.slice(0, 12)}`, first.attempts);
  }
  const total = declared ?? expected;
  const etag = res.headers.get('etag');
  // The listing's hash first (a browser cannot see the headers of the Hub's redirect), then the
  // headers of the answer itself.
  const publishedSha256 = hooks.expectedSha256?.toLowerCase() ?? sha256OfEtag(res.headers.get('x-linked-etag')) ?? sha256OfEtag(etag);
  const hasher = publishedSha256 ? sha256.create() : null;

  let reader = res.body.getReader();
  let controller = first.controller;
  let loaded = 0;
  let skip = 0;
  let attempts = first.attempts;

  // Reconnect after a failure, continuing at byte `loaded`; throws a DownloadError when out of retries.
  const resume = async (failure: { reason: DownloadFailure; detail: string; cause?: unknown }): Promise<void> => {
    let last = failure;
    for (;;) {
      controller.abort();
      if (signal?.aborted) throw fail('cancelled', 'the download was cancelled', attempts);
      if (attempts > policy.retries) throw fail(last.reason, last.detail, attempts, last.cause);
      const delay = retryDelay(policy, attempts);
      hooks.onRetry?.(attempts, delay, last.detail);
      try {
        await sleep(delay, signal);
      } catch {
        throw fail('cancelled', 'the download was cancelled', attempts);
      }
      attempts++;
      // No If-Range: it is not a CORS-safelisted header (a preflight the Hub's CDN may refuse);
      // the answer's ETag and Content-Range are checked instead.
      const headers = new Headers(init.headers);
      headers.set('Range', `bytes=${loaded}-`);
      let r: Awaited<ReturnType<typeof requestOnce>>;
      try {
        r = await requestOnce(fetchFn, url, { ...init, headers }, policy, signal);
      } catch {
        throw fail('cancelled', 'the download was cancelled', attempts);
      }
      if (!('response' in r)) {
        last = { reason: failureReason(r), detail: r.detail };
        continue;
      }
      const { response } = r;
      const newEtag = response.headers.get('etag');
      if ((response.status === 206 || response.status === 200) && etag && newEtag && newEtag !== etag) {
        await response.body?.cancel().catch(() => undefined);
        throw fail('changed', `the file changed during the download (ETag ${etag} then ${newEtag})`, attempts);
      }
      if (response.status === 206 && response.body) {
        // Content-Range may be hidden from a cross-origin page; the final length check still holds.
        const contentRange = response.headers.get('content-range');
        const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange ?? '');
        const sameFile = contentRange === null || (range && Number(range[1]) === loaded && (total === null || range[3] === '*' || Number(range[3]) === total));
        if (!sameFile) {
          await response.body.cancel().catch(() => undefined);
          throw fail('changed', `the host resumed at the wrong place (Content-Range "${response.headers.get('content-range')}")`, attempts);
        }
        reader = response.body.getReader();
        controller = r.controller;
        skip = 0;
        return;
      }
      if (response.status === 200 && response.body) {
        // The host ignored the Range (or the file changed and If-Range sent it whole).
        const length = parseLength(response.headers.get('content-length'));
        if (total !== null && length !== null && length !== total) {
          await response.body.cancel().catch(() => undefined);
          throw fail('changed', `the file changed during the download (${total} then ${length} bytes)`, attempts);
        }
        reader = response.body.getReader();
        controller = r.controller;
        skip = loaded;
        return;
      }
      await response.body?.cancel().catch(() => undefined);
      if (!isRetryableStatus(response.status)) throw fail('http', `resuming the download failed with HTTP ${response.status}`, attempts);
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      if (retryAfter !== null && retryAfter > policy.maxRetryAfterMs) {
        throw fail('http', `the host answered HTTP ${response.status} and asks to wait ${Math.ceil(retryAfter / 1000)} s`, attempts);
      }
      if (retryAfter !== null) await sleep(Math.max(0, retryAfter - retryDelay(policy, attempts)), signal).catch(() => undefined);
      last = { reason: 'http', detail: `HTTP ${response.status}` };
    }
  };

  const body = new ReadableStream<Uint8Array>({
    async pull(out) {
      for (;;) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await readWithStall(reader, controller, policy.stallTimeoutMs, signal);
        } catch (err) {
          if (signal?.aborted) throw fail('cancelled', 'the download was cancelled', attempts);
          if (err instanceof StallError) await resume({ reason: 'stalled', detail: `the download stalled (${err.message}) after ${loaded} of ${total ?? '?'} bytes` });
          else await resume({ reason: 'network', detail: `the connection failed after ${loaded} of ${total ?? '?'} bytes (${describeNetworkError(err)})`, cause: err });
          continue;
        }
        if (result.done) {
          if (total !== null && loaded < total) {
            await resume({ reason: 'truncated', detail: `the body ended after ${loaded} of ${total} bytes` });
            continue;
          }
          if (hasher && publishedSha256) {
            const got = bytesToHex(hasher.digest());
            if (got !== publishedSha256) {
              throw fail(
                'hash-mismatch',
                `the ${loaded} bytes received have SHA-256 ${got.slice(0, 12)}…, but the host publishes ${publishedSha256.slice(0, 12)}… for this file (corrupted in transit or on the server)`,
                attempts,
              );
            }
          }
          hooks.onComplete?.(loaded, total !== null, publishedSha256);
          out.close();
          return;
        }
        let chunk = result.value;
        if (skip > 0) {
          const drop = Math.min(skip, chunk.byteLength);
          skip -= drop;
          chunk = chunk.subarray(drop);
          if (chunk.byteLength === 0) continue;
        }
        if (total !== null && loaded + chunk.byteLength > total) {
          controller.abort();
          throw fail('length-mismatch', `the host sent more than the ${total} bytes announced`, attempts);
        }
        loaded += chunk.byteLength;
        hasher?.update(chunk);
        hooks.onProgress?.(loaded, total);
        out.enqueue(chunk);
        return;
      }
    },
    cancel() {
      controller.abort();
    },
  });

  const headers = new Headers({ 'content-type': res.headers.get('content-type') ?? 'application/octet-stream' });
  if (total !== null) headers.set('content-length', String(total));
  if (etag) headers.set('etag', etag);
  if (commit) headers.set('x-repo-commit', commit);
  return new Response(body, { status: 200, headers });
}
