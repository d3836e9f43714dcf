/**
 * A HubSession owns everything between transformers.js and the model host:
 * - `fetch`, installed as transformers.js `env.fetch`: verified, resumable downloads with
 *   progress; the consent gate (no model file is downloaded unless a plan for its commit was
 *   granted); known-absent optional files answered locally;
 * - `cache`, installed as `env.customCache` (`useCustomCache`): the store behind a
 *   match/put pair that only accepts files `fetch` verified completely;
 * - planning (planDownload), granting, revision pinning, and events for the UI.
 *
 * In the browser, create one session per worker (the engine's worker) with a CacheApiModelStore;
 * in Node, with a MemoryModelStore or DirectoryModelStore.
 */
import type { ModelRef } from '../spec/schema.ts';
import { dtypesOfListing, fetchRepoListing, readModelConfig, resolveRevision, type HubRequestOptions } from './api.ts';
import { verifiedDownload } from './download.ts';
import { ConsentRequiredError, CorruptCachedModelError, DownloadError, HubError, isOutOfMemory, looksLikeCorruptModel } from './errors.ts';
import { DEFAULT_RETRY_POLICY, requestWithRetry, RetriesExhausted, type FetchFn, type RetryPolicy } from './http.ts';
import { listingOf, OPTIONAL_FILES, planDownload, type DownloadPlan, type PlanOptions } from './plan.ts';
import { isCommitSha, normalizeHost, parseResolveUrl, resolveUrl, type ResolvedFileUrl } from './repo.ts';
import { MemoryModelStore, type ModelFileStore } from './store.ts';

export type HubEvent =
  | { type: 'progress'; repoId: string; file: string; loaded: number; total: number | null }
  | { type: 'retry'; repoId: string; file: string; attempt: number; delayMs: number; reason: string }
  | { type: 'complete'; repoId: string; file: string; bytes: number }
  | { type: 'cached'; repoId: string; file: string; bytes: number }
  | { type: 'failed'; repoId: string; file: string; error: string; message: string }
  | { type: 'cache-error'; repoId: string; file: string; message: string }
  | { type: 'evicted'; repoId: string; file: string; message: string };

/** The slice of the Web Cache API transformers.js calls on `env.customCache`. */
export interface TransformersCache {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response, progress?: (p: { progress: number; loaded: number; total: number }) => void): Promise<void>;
}

export interface HubSessionOptions {
  /** Hub-compatible host ("https://huggingface.co"); in the browser, import.meta.env.VITE_MODEL_HOST. Never from a share link. */
  host: string;
  /** Where verified files are kept; default: in memory for this session. null: nothing is kept. */
  store?: ModelFileStore | null;
  /** Underlying fetch (default globalThis.fetch). */
  fetch?: FetchFn;
  retry?: Partial<RetryPolicy>;
  consentThresholdBytes?: number;
}

export interface HubSession {
  readonly host: string;
  readonly store: ModelFileStore | null;
  /** For TransformersEngineConfig.fetch (transformers.js env.fetch). */
  readonly fetch: FetchFn;
  /** For TransformersEngineConfig.cache (transformers.js env.customCache). */
  readonly cache: TransformersCache;
  /** remoteHost, fetch, cache and external-data counts, to spread into createTransformersEngine's config. */
  engineConfig(): { remoteHost: string; fetch: FetchFn; cache: TransformersCache; externalDataChunks: (ref: ModelRef) => number | null };
  /** External-data files of a granted model (from its listing), or null when not planned here. */
  externalDataChunks(ref: ModelRef): number | null;
  resolveRevision(repoId: string, revision?: string): Promise<string>;
  probeDtypes(repoId: string, sha: string): Promise<ReturnType<typeof dtypesOfListing>>;
  readModelConfig(repoId: string, sha: string): ReturnType<typeof readModelConfig>;
  /** Plan the downloads of these refs; pins each repository to its resolved commit. */
  planDownload(refs: readonly ModelRef[], options?: Pick<PlanOptions, 'consentThresholdBytes' | 'shaderF16'>): Promise<DownloadPlan>;
  /** The visitor agreed: the plan's models (at their commits) may now be downloaded. */
  grant(plan: DownloadPlan): void;
  /** Forget every grant (and the failures the granted plans recorded). */
  revokeAll(): void;
  isGranted(repoId: string, sha: string): boolean;
  /** Abort every download in flight (each fails with a DownloadError "cancelled"). */
  cancelDownloads(): void;
  /**
   * After a model failed to load: when the failure reads like unreadable weights and its ONNX
   * files came from the cache, delete them from the cache and return the error to show (it says
   * so and offers a fresh download); null when the failure has another cause.
   */
  evictAfterLoadFailure(repoId: string, error: unknown): Promise<CorruptCachedModelError | null>;
  onEvent(listener: (e: HubEvent) => void): () => void;
}

const METADATA_RANGE = /^bytes=0-0$/;

function urlOf(input: RequestInfo | URL): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

/** A Hub error (not a runtime failure) anywhere in the cause chain. */
function findHubErrorOnly(err: unknown): boolean {
  for (let e: unknown = err, n = 0; e != null && n < 8; e = e instanceof Error ? (e as Error & { cause?: unknown }).cause : undefined, n++) {
    if (e instanceof HubError) return true;
  }
  return false;
}

function headerOf(headers: HeadersInit | undefined, name: string): string | null {
  if (!headers) return null;
  return new Headers(headers).get(name);
}

export function createHubSession(options: HubSessionOptions): HubSession {
  const host = normalizeHost(options.host);
  const store: ModelFileStore | null = options.store === undefined ? new MemoryModelStore() : options.store;
  const base: FetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const listeners = new Set<(e: HubEvent) => void>();
  const granted = new Set<string>();
  const pins = new Map<string, string>();
  /** "repo@sha" -> external-data chunks of the granted plan's weights. */
  const chunksOf = new Map<string, number>();
  const externalDataChunks = (ref: ModelRef): number | null => {
    const sha = isCommitSha(ref.revision) ? ref.revision : pins.get(ref.id);
    return sha ? (chunksOf.get(`${ref.id}@${sha}`) ?? null) : null;
  };
  const expected = new Map<string, { bytes: number | null; sha256: string | null }>();
  /**
   * URL -> bodies `fetch` received completely and checked against a known length, and against
   * the published SHA-256 where there is one (sha256 null: length-checked only).
   */
  const verified = new Map<string, { bytes: number; sha256: string | null }>();
  /** repoId -> URLs of ONNX weights served from the store (candidates for eviction). */
  const servedFromStore = new Map<string, Set<string>>();
  const noteServed = (t: ResolvedFileUrl & { url: string }) => {
    if (!/\.onnx(_data(_\d+)?)?$/.test(t.file)) return;
    let set = servedFromStore.get(t.repoId);
    if (!set) servedFromStore.set(t.repoId, (set = new Set()));
    set.add(t.url);
  };
  /** repoId -> why the last granted plan could not plan it. */
  const plannedFailures = new Map<string, { error: string; message: string }>();
  let downloads = new AbortController();

  const emit = (e: HubEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch {
        // a listener's failure must not break a download
      }
    }
  };
  const key = (repoId: string, sha: string) => `${repoId}@${sha}`;
  /** One listing request per repository and commit for the session's lifetime. */
  const listings = new Map<string, ReturnType<typeof fetchRepoListing>>();
  const requestOptions = (): HubRequestOptions => ({ fetch: base, retry: policy, store });

  /** A resolve URL on our host, with a branch name replaced by the commit this session pinned. */
  const canonical = (url: string): (ResolvedFileUrl & { url: string }) | null => {
    const p = parseResolveUrl(url, host);
    if (!p) return null;
    const sha = isCommitSha(p.revision) ? p.revision : pins.get(p.repoId);
    const revision = sha ?? p.revision;
    return { ...p, revision, url: resolveUrl(host, p.repoId, revision, p.file) };
  };

  const sessionFetch: FetchFn = async (input, init = {}) => {
    const target = canonical(urlOf(input));
    if (!target) return base(input, init);
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const range = headerOf(init.headers, 'range');
    const pinned = isCommitSha(target.revision);
    if (pinned && store && (await store.isAbsent(target.url))) return new Response(null, { status: 404, statusText: 'Not Found' });

    // Metadata (HEAD, or transformers.js's one-byte Range probe): from the store when cached.
    if (method === 'HEAD' || (method === 'GET' && range !== null && METADATA_RANGE.test(range))) {
      const size = store ? await store.size(target.url) : null;
      if (size !== null) {
        if (method === 'HEAD') return new Response(null, { status: 200, headers: { 'content-length': String(size) } });
        // Read only the first chunk: the file may be gigabytes.
        const reader = (await store!.match(target.url))?.body?.getReader();
        const chunk = reader ? (await reader.read()).value : undefined;
        await reader?.cancel().catch(() => undefined);
        const byte = (chunk ?? new Uint8Array(0)).slice(0, 1);
        return new Response(byte, { status: 206, headers: { 'content-length': String(byte.length), 'content-range': `bytes 0-0/${size}` } });
      }
      try {
        const { response } = await requestWithRetry(base, target.url, { ...init, signal: undefined }, policy, { signal: downloads.signal });
        if (response.status === 404 && pinned && (OPTIONAL_FILES as readonly string[]).includes(target.file)) await store?.putAbsent(target.url).catch(() => undefined);
        return response;
      } catch (err) {
        const detail = err instanceof RetriesExhausted ? err.failure.detail : String(err);
        throw new DownloadError(target.repoId, target.file, 'network', `could not check the file: ${detail}`, { cause: err });
      }
    }
    if (method !== 'GET') return base(target.url, init);

    const cached = range === null && store ? await store.match(target.url) : undefined;
    if (cached) {
      noteServed(target);
      return cached;
    }
    if (!pinned || !granted.has(key(target.repoId, target.revision))) {
      // A model the granted plan already found broken fails with the plan's reason.
      const planned = plannedFailures.get(target.repoId);
      const err = planned ? new HubError(target.repoId, planned.message) : new ConsentRequiredError(target.repoId, target.file);
      if (planned) err.name = planned.error;
      emit({ type: 'failed', repoId: target.repoId, file: target.file, error: err.name, message: err.message });
      throw err;
    }
    const { repoId, file } = target;
    if (range !== null) {
      // A partial download nobody here asked for (transformers.js makes none): granted, passed through.
      return (await requestWithRetry(base, target.url, { ...init, signal: undefined }, policy, { signal: downloads.signal })).response;
    }
    // A new download of this file: what an earlier one verified says nothing about these bytes.
    verified.delete(target.url);
    const response = await verifiedDownload(base, target, { ...init, signal: undefined }, {
      policy,
      signal: downloads.signal,
      expectedBytes: expected.get(target.url)?.bytes ?? null,
      expectedSha256: expected.get(target.url)?.sha256 ?? null,
      onProgress: (loaded, total) => emit({ type: 'progress', repoId, file, loaded, total }),
      onRetry: (attempt, delayMs, reason) => emit({ type: 'retry', repoId, file, attempt, delayMs, reason }),
      onComplete: (bytes, lengthChecked, sha256) => {
        if (lengthChecked) verified.set(target.url, { bytes, sha256 });
        emit({ type: 'complete', repoId, file, bytes });
      },
      onFailed: (e) => emit({ type: 'failed', repoId, file, error: e.name, message: e.message }),
    });
    if (response.status === 404) {
      if ((OPTIONAL_FILES as readonly string[]).includes(file)) {
        await store?.putAbsent(target.url).catch(() => undefined);
        return response;
      }
      await response.body?.cancel().catch(() => undefined);
      const err = new DownloadError(repoId, file, 'http', 'the host answered 404 Not Found: the file is not at this commit');
      emit({ type: 'failed', repoId, file, error: err.name, message: err.message });
      throw err;
    }
    return response;
  };

  /**
   * Bodies that could not be stored (unverifiable length, storage quota), handed back once: in
   * Node transformers.js reads a model file back from the cache right after put().
   */
  const handBack = new Map<string, Uint8Array>();
  const holdForReadBack = (url: string, body: Uint8Array) => {
    handBack.set(url, body);
    setTimeout(() => handBack.delete(url), 1_000);
  };

  const cache: TransformersCache = {
    async match(request) {
      const target = canonical(request);
      if (!target) return undefined;
      const body = handBack.get(target.url);
      if (body) {
        handBack.delete(target.url);
        return new Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-length': String(body.byteLength) } });
      }
      const hit = store ? await store.match(target.url) : undefined;
      if (hit) noteServed(target);
      return hit;
    },
    async put(request, response, progress) {
      const target = canonical(request);
      // Not a Hub file on our host: keep nothing (bundled models are served by the app itself).
      if (!target) return;
      const total = Number(response.headers.get('content-length') ?? 0);
      // In the browser transformers.js has read (and so verified) the whole download before it
      // calls put, and hands over its buffer: stream that into the store, with no second copy.
      const before = verified.get(target.url);
      if (store?.putResponse && response.body && before && isCommitSha(target.revision) && total === before.bytes) {
        try {
          await store.putResponse(target.url, response.body, before.bytes, { sha256: before.sha256 });
          emit({ type: 'cached', repoId: target.repoId, file: target.file, bytes: before.bytes });
        } catch (err) {
          emit({ type: 'cache-error', repoId: target.repoId, file: target.file, message: err instanceof Error ? err.message : String(err) });
        }
        return;
      }
      // Reading the body also drives a streaming download to its end: its errors reach the caller.
      const chunks: Uint8Array[] = [];
      let loaded = 0;
      const reader = response.body?.getReader();
      for (;;) {
        const r = reader ? await reader.read() : { done: true as const, value: undefined };
        if (r.done) break;
        chunks.push(r.value);
        loaded += r.value.byteLength;
        progress?.({ progress: total ? (loaded / total) * 100 : 0, loaded, total });
      }
      const body = new Uint8Array(loaded);
      let offset = 0;
      for (const c of chunks) {
        body.set(c, offset);
        offset += c.byteLength;
      }
      // Only files `fetch` received completely, checked against a known length (and the published
      // SHA-256 where the host has one: a mismatch never gets this far), are kept.
      const checked = verified.get(target.url);
      if (!store || !isCommitSha(target.revision) || checked?.bytes !== body.byteLength || (total > 0 && total !== body.byteLength)) {
        if (store) emit({ type: 'cache-error', repoId: target.repoId, file: target.file, message: 'not stored: the download could not be verified' });
        holdForReadBack(target.url, body);
        return;
      }
      try {
        await store.put(target.url, body, { sha256: checked.sha256 });
        emit({ type: 'cached', repoId: target.repoId, file: target.file, bytes: body.byteLength });
      } catch (err) {
        emit({ type: 'cache-error', repoId: target.repoId, file: target.file, message: err instanceof Error ? err.message : String(err) });
        holdForReadBack(target.url, body);
      }
    },
  };

  return {
    host,
    store,
    fetch: sessionFetch,
    cache,
    engineConfig: () => ({ remoteHost: host, fetch: sessionFetch, cache, externalDataChunks }),
    externalDataChunks,
    resolveRevision: (repoId, revision = 'main') => resolveRevision(host, repoId, revision, requestOptions()),
    probeDtypes: async (repoId, sha) => dtypesOfListing(await listingOf(host, repoId, sha, { ...requestOptions(), listings })),
    readModelConfig: (repoId, sha) => readModelConfig(host, repoId, sha, requestOptions()),
    async planDownload(refs, planOptions = {}) {
      const plan = await planDownload(host, refs, {
        ...requestOptions(),
        listings,
        consentThresholdBytes: planOptions.consentThresholdBytes ?? options.consentThresholdBytes,
        shaderF16: planOptions.shaderF16,
      });
      for (const m of plan.models) pins.set(m.repoId, m.sha);
      return plan;
    },
    grant(plan) {
      if (normalizeHost(plan.host) !== host) throw new Error(`This plan is for ${plan.host}, not ${host}.`);
      for (const m of plan.models) {
        granted.add(key(m.repoId, m.sha));
        if (m.externalDataChunks !== undefined) chunksOf.set(key(m.repoId, m.sha), m.externalDataChunks);
        pins.set(m.repoId, m.sha);
        for (const f of m.files) expected.set(f.url, { bytes: f.bytes, sha256: f.sha256 ?? null });
        plannedFailures.delete(m.repoId);
      }
      for (const f of plan.failed) if (!plan.models.some((m) => m.repoId === f.ref.id)) plannedFailures.set(f.ref.id, { error: f.error, message: f.message });
    },
    revokeAll() {
      granted.clear();
      plannedFailures.clear();
    },
    isGranted: (repoId, sha) => granted.has(key(repoId, sha)),
    cancelDownloads() {
      downloads.abort();
      downloads = new AbortController();
    },
    async evictAfterLoadFailure(repoId, error) {
      const served = servedFromStore.get(repoId);
      if (!store || !served || served.size === 0 || findHubErrorOnly(error) || isOutOfMemory(error) || !looksLikeCorruptModel(error)) return null;
      const files: string[] = [];
      for (const url of served) {
        if (await store.delete(url).catch(() => false)) files.push(parseResolveUrl(url)?.file ?? url);
      }
      served.clear();
      if (files.length === 0) return null;
      const err = new CorruptCachedModelError(repoId, files, error);
      for (const file of files) emit({ type: 'evicted', repoId, file, message: err.message });
      return err;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

