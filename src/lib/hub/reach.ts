/**
 * Is the model host there at all? One request with a short deadline, asked before anything
 * that would send a request per repository (planning a run, "Check on host now", probing a
 * typed id). Without it an offline page sent 4 retried requests per model (28 for a 7-model
 * ladder) and showed one long error per repository after ~14 s; with it the visitor hears once,
 * within the deadline, that the host cannot be reached.
 */
import { HubError } from './errors.ts';
import { describeNetworkError, type FetchFn } from './http.ts';

/** How long the probe waits for the host's answer (headers) before calling it unreachable. */
export const HOST_PROBE_TIMEOUT_MS = 2_500;

/**
 * What the probe asks: the Hub's model search, one result. Any HTTP answer counts as "reachable"
 * (a 404 too): the question is whether the host answers at all. It names no repository and no
 * revision, so it never looks like a request about a model of the run. The Hub's API sends CORS
 * headers, so a cross-origin page can read the answer; a host without them reads as unreachable,
 * as it would for every later request too.
 */
export function hostProbeUrl(host: string): string {
  return `${host.replace(/\/+$/, '')}/api/models?limit=1`;
}

export type HostReach =
  | { reachable: true; host: string; url: string; status: number; ms: number }
  | { reachable: false; host: string; url: string; detail: string; ms: number; at: string };

/** "huggingface.co", "127.0.0.1:8080": the host as a visitor reads it in a message. */
export function hostLabel(host: string): string {
  try {
    return new URL(host).host || host;
  } catch {
    return host;
  }
}

/**
 * One GET to the host's revision API with AbortSignal.timeout; never retried (a retry is the
 * visitor's "Try again"). The body is not read.
 */
export async function probeHost(host: string, options: { fetch?: FetchFn; timeoutMs?: number; now?: () => number } = {}): Promise<HostReach> {
  const fetchFn: FetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeoutMs = options.timeoutMs ?? HOST_PROBE_TIMEOUT_MS;
  const now = options.now ?? (() => Date.now());
  const url = hostProbeUrl(host);
  const t0 = now();
  try {
    const response = await fetchFn(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel().catch(() => undefined);
    return { reachable: true, host, url, status: response.status, ms: now() - t0 };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const detail = timedOut ? `no answer within ${timeoutMs} ms` : describeNetworkError(err);
    return { reachable: false, host, url, detail, ms: now() - t0, at: new Date(t0).toISOString() };
  }
}

/**
 * The model host did not answer the probe: nothing was asked of any repository. The message is
 * short on purpose (the page shows the probe's details once, elsewhere).
 */
export class HostUnreachableError extends HubError {
  override name = 'HostUnreachableError';
  constructor(readonly reach: Extract<HostReach, { reachable: false }>) {
    super(null, 'Hub models need the model host, which did not answer (see the message above); nothing was checked or downloaded.');
  }
}
