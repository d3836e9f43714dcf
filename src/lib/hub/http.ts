/**
 * HTTP with bounded retries: exponential backoff (deterministic, no jitter) and a stall timeout
 * that aborts a request whose headers or next body bytes do not arrive in time.
 */

export type FetchFn = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

export interface RetryPolicy {
  /** Extra attempts after the first (0 = no retry). */
  retries: number;
  /** Delay before the first retry; doubles for each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A request that receives nothing (headers or body bytes) for this long is aborted and retried. */
  stallTimeoutMs: number;
  /**
   * Longest Retry-After (429, 503) the client waits for; a host asking for more fails the request
   * at once with a message saying how long it asked to wait.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 8_000, stallTimeoutMs: 30_000, maxRetryAfterMs: 60_000 };

/**
 * Retry-After as milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3); null when
 * absent or unreadable. `now` is injectable for tests.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

export function retryDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/** HTTP statuses worth another try: the server or a proxy may recover. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export type AttemptFailure =
  | { kind: 'network'; detail: string; cause: unknown }
  | { kind: 'stalled'; detail: string }
  | { kind: 'http'; status: number; detail: string; retryAfterMs?: number | null };

/** Thrown by requestWithRetry when every attempt failed; `failure` is the last one. */
export class RetriesExhausted extends Error {
  override name = 'RetriesExhausted';
  constructor(
    readonly failure: AttemptFailure,
    readonly attempts: number,
  ) {
    super(failure.detail);
  }
}

/** Thrown when the caller's signal aborted the request. */
export class RequestAborted extends Error {
  override name = 'RequestAborted';
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new RequestAborted('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new RequestAborted('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: unknown }).cause;
  const inner = cause instanceof Error ? `: ${cause.message}` : '';
  return `${err.message}${inner}`;
}

/** One request whose headers must arrive within the stall timeout; the controller stays usable for the body. */
export async function requestOnce(
  fetchFn: FetchFn,
  url: string,
  init: RequestInit,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<{ response: Response; controller: AbortController } | AttemptFailure> {
  if (signal?.aborted) throw new RequestAborted('aborted');
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let stalled = false;
  const timer = setTimeout(() => {
    stalled = true;
    controller.abort();
  }, policy.stallTimeoutMs);
  try {
    const response = await fetchFn(url, { ...init, signal: controller.signal });
    return { response, controller };
  } catch (err) {
    if (signal?.aborted) throw new RequestAborted('aborted');
    if (stalled) return { kind: 'stalled', detail: `no answer within ${policy.stallTimeoutMs} ms` };
    return { kind: 'network', detail: describeNetworkError(err), cause: err };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

export interface RetryHooks {
  signal?: AbortSignal;
  onRetry?: (attempt: number, delayMs: number, failure: AttemptFailure) => void;
}

/**
 * A request retried on network errors, stalls and retryable statuses (408, 429, 5xx). Any
 * other response (2xx, 3xx, 404, ...) is returned for the caller to judge.
 */
export async function requestWithRetry(
  fetchFn: FetchFn,
  url: string,
  init: RequestInit,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<{ response: Response; controller: AbortController; attempts: number }> {
  let attempt = 0;
  for (;;) {
    attempt++;
    const r = await requestOnce(fetchFn, url, init, policy, hooks.signal);
    let failure: AttemptFailure;
    let retryAfter: number | null = null;
    if ('response' in r) {
      if (!isRetryableStatus(r.response.status)) return { ...r, attempts: attempt };
      retryAfter = parseRetryAfter(r.response.headers.get('retry-after'));
      const asked = retryAfter !== null ? ` (the host asks to wait ${Math.ceil(retryAfter / 1000)} s)` : '';
      failure = { kind: 'http', status: r.response.status, detail: `HTTP ${r.response.status} ${r.response.statusText}`.trim() + asked, retryAfterMs: retryAfter };
      await r.response.body?.cancel().catch(() => undefined);
    } else {
      failure = r;
    }
    if (attempt > policy.retries) throw new RetriesExhausted(failure, attempt);
    // A host that says when to come back (429 Too Many Requests, 503) is asked no sooner.
    if (retryAfter !== null && retryAfter > policy.maxRetryAfterMs) throw new RetriesExhausted(failure, attempt);
    const delay = Math.max(retryDelay(policy, attempt), retryAfter ?? 0);
    hooks.onRetry?.(attempt, delay, failure);
    await sleep(delay, hooks.signal);
  }
}

/** Read a whole body with the stall timeout applied to every chunk. */
export async function readBodyWithTimeout(response: Response, controller: AbortController, policy: RetryPolicy): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stall = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`the body stalled for ${policy.stallTimeoutMs} ms`));
        controller.abort();
      }, policy.stallTimeoutMs);
    });
    try {
      const { done, value } = await Promise.race([reader.read(), stall]);
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    } finally {
      clearTimeout(timer);
    }
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
