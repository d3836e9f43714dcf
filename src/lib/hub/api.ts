/**
 * Questions to a Hub-compatible host before anything is downloaded: which commit a revision
 * is, which dtypes a repository has and how big they are, and what its config.json says.
 */
import * as v from 'valibot';
import { DTYPES, type Dtype } from '../spec/schema.ts';
import { summarizeConfig, type ModelConfigSummary } from './architectures.ts';
import { dtypeFile, externalDataFiles } from './dtypes.ts';
import { HubError, HubUnavailableError, NoOnnxFilesError, RepoNotFoundError } from './errors.ts';
import {
  DEFAULT_RETRY_POLICY,
  readBodyWithTimeout,
  RequestAborted,
  requestWithRetry,
  RetriesExhausted,
  type FetchFn,
  type RetryPolicy,
} from './http.ts';
import { isCommitSha, resolveUrl, revisionApiUrl, validateRepoId } from './repo.ts';
import type { ModelFileStore } from './store.ts';

export interface HubRequestOptions {
  /** Underlying fetch (default: globalThis.fetch). */
  fetch?: FetchFn;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  /** Answer from this store when it has the file (a cached model needs no request). */
  store?: ModelFileStore | null;
  onRetry?: (attempt: number, delayMs: number, reason: string) => void;
}

function policyOf(o: HubRequestOptions): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...o.retry };
}

function fetchOf(o: HubRequestOptions): FetchFn {
  if (o.fetch) return o.fetch;
  if (typeof globalThis.fetch !== 'function') throw new Error('No fetch available: pass options.fetch.');
  return globalThis.fetch.bind(globalThis);
}

async function request(repoId: string, what: string, url: string, init: RequestInit, o: HubRequestOptions) {
  try {
    return await requestWithRetry(fetchOf(o), url, init, policyOf(o), {
      signal: o.signal,
      onRetry: (attempt, delay, f) => o.onRetry?.(attempt, delay, f.detail),
    });
  } catch (err) {
    if (err instanceof RequestAborted) throw new HubUnavailableError(repoId, what, 'the request was cancelled', { cause: err });
    if (err instanceof RetriesExhausted) throw new HubUnavailableError(repoId, what, `${err.failure.detail} (${err.attempts} attempts)`, { cause: err });
    throw err;
  }
}

const RevisionInfoSchema = v.object({
  sha: v.pipe(v.string(), v.regex(/^[0-9a-f]{40}$/)),
  siblings: v.optional(v.array(v.object({ rfilename: v.string(), size: v.optional(v.number()) }))),
});

export interface RevisionInfo {
  repoId: string;
  /** The revision asked for (branch, tag or commit). */
  revision: string;
  /** The commit it is: record this in the spec; a re-run asks for exactly this commit. */
  sha: string;
  /** Files at that commit when the host lists them (the Hub does), else null. */
  files: { path: string; size: number | null }[] | null;
}

/** GET {host}/api/models/{repo}/revision/{rev}: the commit of a revision and its file list. */
export async function fetchRevisionInfo(host: string, repoId: string, revision = 'main', options: HubRequestOptions = {}): Promise<RevisionInfo> {
  validateRepoId(repoId);
  const what = `resolve revision "${revision}"`;
  const { response, controller } = await request(repoId, what, revisionApiUrl(host, repoId, revision), { headers: { accept: 'application/json' } }, options);
  if ([401, 403, 404, 410].includes(response.status)) {
    await response.body?.cancel().catch(() => undefined);
    throw new RepoNotFoundError(repoId, revision, response.status);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new HubUnavailableError(repoId, what, `the host answered HTTP ${response.status}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(await readBodyWithTimeout(response, controller, policyOf(options))));
  } catch (err) {
    throw new HubUnavailableError(repoId, what, `the answer was not JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  const parsed = v.safeParse(RevisionInfoSchema, json);
  if (!parsed.success) throw new HubUnavailableError(repoId, what, 'the answer has no 40-character commit "sha"');
  const files = parsed.output.siblings?.map((s) => ({ path: s.rfilename, size: s.size ?? null })) ?? null;
  return { repoId, revision, sha: parsed.output.sha, files };
}

/** The commit sha a revision (default "main") points to. A commit sha is still checked with the host. */
export async function resolveRevision(host: string, repoId: string, revision = 'main', options: HubRequestOptions = {}): Promise<string> {
  return (await fetchRevisionInfo(host, repoId, revision, options)).sha;
}

export type FileStat = { status: 'present'; bytes: number | null; cached: boolean } | { status: 'absent'; cached: boolean };

/**
 * Does a file exist at a commit, and how big is it? The store answers first; otherwise a HEAD
 * request (Content-Length), falling back to a one-byte Range request when HEAD gives no length.
 */
export async function statFile(host: string, repoId: string, revision: string, file: string, options: HubRequestOptions = {}): Promise<FileStat> {
  const url = resolveUrl(host, repoId, revision, file);
  const store = options.store;
  if (store) {
    const size = await store.size(url);
    if (size !== null) return { status: 'present', bytes: size, cached: true };
    if (isCommitSha(revision) && (await store.isAbsent(url))) return { status: 'absent', cached: true };
  }
  const what = `check ${file}`;
  const head = await request(repoId, what, url, { method: 'HEAD' }, options);
  await head.response.body?.cancel().catch(() => undefined);
  if (head.response.status === 404) return { status: 'absent', cached: false };
  if ([401, 403].includes(head.response.status)) throw new RepoNotFoundError(repoId, revision, head.response.status);
  if (!head.response.ok) throw new HubUnavailableError(repoId, what, `the host answered HTTP ${head.response.status}`);
  const length = head.response.headers.get('x-linked-size') ?? head.response.headers.get('content-length');
  if (length !== null && /^\d+$/.test(length)) return { status: 'present', bytes: Number(length), cached: false };
  const ranged = await request(repoId, what, url, { headers: { Range: 'bytes=0-0' } }, options);
  await ranged.response.body?.cancel().catch(() => undefined);
  const m = /\/(\d+)$/.exec(ranged.response.headers.get('content-range') ?? '');
  return { status: 'present', bytes: m ? Number(m[1]) : null, cached: false };
}

export interface DtypeProbe {
  dtype: Dtype;
  /** The ONNX file, e.g. "onnx/model_q4.onnx". */
  file: string;
  /** Size of the ONNX file (null when the host did not say). */
  bytes: number | null;
  /** External-data files next to it ("*.onnx_data", "*.onnx_data_1", ...), with sizes. */
  externalData: { file: string; bytes: number | null }[];
  /** ONNX file plus external data. */
  totalBytes: number | null;
}

/** Most external-data chunks looked for per file (transformers.js allows up to 100; exports use few). */
const MAX_PROBED_CHUNKS = 16;

/**
 * The dtypes a repository has at a commit, in DTYPES order, found with HEAD requests for
 * onnx/model{suffix}.onnx (404 = absent) and their external-data files. Throws NoOnnxFilesError
 * when there is none.
 */
export async function probeDtypes(host: string, repoId: string, sha: string, options: HubRequestOptions = {}): Promise<DtypeProbe[]> {
  validateRepoId(repoId);
  const found = await Promise.all(
    DTYPES.map(async (dtype): Promise<DtypeProbe | null> => {
      const file = dtypeFile(dtype);
      const st = await statFile(host, repoId, sha, file, options);
      if (st.status === 'absent') return null;
      const externalData: DtypeProbe['externalData'] = [];
      for (let n = 1; n <= MAX_PROBED_CHUNKS; n++) {
        const chunk = externalDataFiles(file, n)[n - 1];
        const cs = await statFile(host, repoId, sha, chunk, options);
        if (cs.status === 'absent') break;
        externalData.push({ file: chunk, bytes: cs.bytes });
      }
      const sizes = [st.bytes, ...externalData.map((e) => e.bytes)];
      const totalBytes = sizes.every((s) => s !== null) ? (sizes as number[]).reduce((a, b) => a + b, 0) : null;
      return { dtype, file, bytes: st.bytes, externalData, totalBytes };
    }),
  );
  const present = found.filter((p): p is DtypeProbe => p !== null);
  if (present.length === 0) throw new NoOnnxFilesError(repoId, sha);
  return present;
}

/**
 * config.json at a commit: architecture (UnsupportedArchitectureError unless it is a causal LM
 * the engine runs), parameter count (stated or estimated) and external-data hints.
 */
export async function readModelConfig(host: string, repoId: string, sha: string, options: HubRequestOptions = {}): Promise<ModelConfigSummary> {
  validateRepoId(repoId);
  const url = resolveUrl(host, repoId, sha, 'config.json');
  let text: string | null = null;
  const cached = await options.store?.match(url);
  if (cached) text = await cached.text();
  if (text === null) {
    const what = 'read config.json';
    const { response, controller } = await request(repoId, what, url, {}, options);
    if (response.status === 404) {
      await response.body?.cancel().catch(() => undefined);
      throw new HubError(repoId, `${repoId}: the repository has no config.json at ${sha.slice(0, 12)}, so it is not a transformers model. Choose an ONNX export made for transformers.js.`);
    }
    if ([401, 403].includes(response.status)) throw new RepoNotFoundError(repoId, sha, response.status);
    if (!response.ok) throw new HubUnavailableError(repoId, what, `the host answered HTTP ${response.status}`);
    text = new TextDecoder().decode(await readBodyWithTimeout(response, controller, policyOf(options)));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HubError(repoId, `${repoId}: config.json is not valid JSON; the repository looks broken.`);
  }
  return summarizeConfig(repoId, json);
}
