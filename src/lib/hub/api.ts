/**
 * Questions to a Hub-compatible host before anything is downloaded: which commit a revision
 * is, which dtypes a repository has and how big they are, and what its config.json says.
 */
import * as v from 'valibot';
import { DTYPES, type Dtype } from '../spec/schema.ts';
import { summarizeConfig, type ModelConfigSummary } from './architectures.ts';
import { dtypeFile, externalDataFiles } from './dtypes.ts';
import { guardJson, JsonGuardError } from '../util/json-guard.ts';
import { HubError, HubUnavailableError, LegacyOnnxLayoutError, NoOnnxFilesError, RepoNotFoundError } from './errors.ts';
import {
  DEFAULT_RETRY_POLICY,
  readBodyWithTimeout,
  RequestAborted,
  requestWithRetry,
  RetriesExhausted,
  type FetchFn,
  type RetryPolicy,
} from './http.ts';
import { resolveUrl, revisionApiUrl, treeApiUrl, validateRepoId } from './repo.ts';
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
  const json = await readApiJson(repoId, what, response, controller, options);
  const parsed = v.safeParse(RevisionInfoSchema, json);
  if (!parsed.success) throw new HubUnavailableError(repoId, what, 'the answer has no 40-character commit "sha"');
  const files = parsed.output.siblings?.map((s) => ({ path: s.rfilename, size: s.size ?? null })) ?? null;
  return { repoId, revision, sha: parsed.output.sha, files };
}

/** The commit sha a revision (default "main") points to. A commit sha is still checked with the host. */
export async function resolveRevision(host: string, repoId: string, revision = 'main', options: HubRequestOptions = {}): Promise<string> {
  return (await fetchRevisionInfo(host, repoId, revision, options)).sha;
}

/** Limits for the Hub's JSON answers: a listing of a large repository is ~100 kB and 3 levels deep. */
export const API_JSON_LIMITS = { maxDepth: 16, maxBytes: 8_000_000 } as const;

/** Read and parse an API answer with the size/depth guard; refusals are readable HubUnavailableErrors. */
async function readApiJson(repoId: string, what: string, response: Response, controller: AbortController, options: HubRequestOptions): Promise<unknown> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > API_JSON_LIMITS.maxBytes) {
    controller.abort();
    throw new HubUnavailableError(repoId, what, `the answer is ${declared} bytes, more than any Hub listing (${API_JSON_LIMITS.maxBytes}); is the model host a Hub?`);
  }
  const text = new TextDecoder().decode(await readBodyWithTimeout(response, controller, policyOf(options)));
  try {
    return guardJson(text, { ...API_JSON_LIMITS, what: 'the answer' });
  } catch (err) {
    if (err instanceof JsonGuardError) throw new HubUnavailableError(repoId, what, err.message.replace(/\.$/, ''), { cause: err });
    throw err;
  }
}

/** One file of a repository listing. */
export interface ListedFile {
  path: string;
  bytes: number;
  /** SHA-256 (hex) the Hub publishes for an LFS file (lfs.oid); null for a plain git file. */
  sha256: string | null;
}

/** A repository's files at one commit, from one request to the Hub's tree API. */
export interface RepoListing {
  repoId: string;
  sha: string;
  files: ReadonlyMap<string, ListedFile>;
}

const TreeEntrySchema = v.object({
  type: v.string(),
  path: v.string(),
  size: v.optional(v.number()),
  lfs: v.optional(v.nullable(v.object({ oid: v.string(), size: v.optional(v.number()) }))),
});

/**
 * GET {host}/api/models/{repo}/tree/{sha}?recursive=true: every file with its size and, for LFS
 * files, the SHA-256 the download is checked against. One request replaces probing each dtype's
 * file name with HEAD requests. Answers are size- and depth-checked before parsing.
 */
export async function fetchRepoListing(host: string, repoId: string, sha: string, options: HubRequestOptions = {}): Promise<RepoListing> {
  validateRepoId(repoId);
  const what = 'list the repository\'s files';
  const files = new Map<string, ListedFile>();
  let url: string | null = treeApiUrl(host, repoId, sha);
  // The Hub pages tree listings (up to 1,000 entries a page) and names the next page in a
  // `Link: <…>; rel="next"` header; a typical ONNX repository fits on one page.
  for (let page = 0; url !== null; page++) {
    if (page >= MAX_LISTING_PAGES) throw new HubUnavailableError(repoId, what, `the listing has more than ${MAX_LISTING_PAGES} pages`);
    const { response, controller } = await request(repoId, what, url, { headers: { accept: 'application/json' } }, options);
    if ([401, 403, 404, 410].includes(response.status)) {
      await response.body?.cancel().catch(() => undefined);
      throw new RepoNotFoundError(repoId, sha, response.status);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new HubUnavailableError(repoId, what, `the host answered HTTP ${response.status}`);
    }
    const next = nextPageUrl(response.headers.get('link'), host);
    const json = await readApiJson(repoId, what, response, controller, options);
    const parsed = v.safeParse(v.array(TreeEntrySchema), json);
    if (!parsed.success) throw new HubUnavailableError(repoId, what, 'the answer is not a file listing (expected a list of { type, path, size })');
    for (const e of parsed.output) {
      if (e.type !== 'file') continue;
      const oid = e.lfs?.oid?.toLowerCase() ?? null;
      files.set(e.path, { path: e.path, bytes: e.lfs?.size ?? e.size ?? 0, sha256: oid && /^[0-9a-f]{64}$/.test(oid) ? oid : null });
    }
    url = next;
  }
  return { repoId, sha, files };
}

/** Most listing pages followed (1,000 entries each on the Hub: far more than any model repository). */
const MAX_LISTING_PAGES = 50;

/** The rel="next" URL of a Link header, only when it is on the model host itself; else null. */
export function nextPageUrl(link: string | null, host: string): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
    if (!m) continue;
    try {
      const next = new URL(m[1], host);
      return next.origin === new URL(host).origin ? next.href : null;
    } catch {
      return null;
    }
  }
  return null;
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

/** Most external-data chunks looked for per file (transformers.js allows up to 100). */
const MAX_EXTERNAL_CHUNKS = 100;

/** The ONNX files of the old optimum layout that transformers.js 3+/4 no longer loads for causal LMs. */
const LEGACY_ONNX = /^onnx\/decoder_(model|with_past_model|model_merged)(_[a-z0-9]+)?\.onnx$/;

/**
 * The dtypes a listing offers, in DTYPES order (onnx/model{suffix}.onnx with its external-data
 * chunks). Throws LegacyOnnxLayoutError for a repository with only decoder_model*.onnx files and
 * NoOnnxFilesError when there are no ONNX weights at all.
 */
export function dtypesOfListing(listing: RepoListing): DtypeProbe[] {
  const out: DtypeProbe[] = [];
  for (const dtype of DTYPES) {
    const file = dtypeFile(dtype);
    const f = listing.files.get(file);
    if (!f) continue;
    const externalData: DtypeProbe['externalData'] = [];
    for (let n = 1; n <= MAX_EXTERNAL_CHUNKS; n++) {
      const chunk = externalDataFiles(file, n)[n - 1];
      const c = listing.files.get(chunk);
      if (!c) break;
      externalData.push({ file: chunk, bytes: c.bytes });
    }
    out.push({ dtype, file, bytes: f.bytes, externalData, totalBytes: f.bytes + externalData.reduce((s, e) => s + (e.bytes ?? 0), 0) });
  }
  if (out.length === 0) {
    const legacy = [...listing.files.keys()].filter((p) => LEGACY_ONNX.test(p));
    if (legacy.length > 0) throw new LegacyOnnxLayoutError(listing.repoId, listing.sha, legacy);
    throw new NoOnnxFilesError(listing.repoId, listing.sha);
  }
  return out;
}

/** The dtypes a repository has at a commit, from one listing request (see dtypesOfListing). */
export async function probeDtypes(host: string, repoId: string, sha: string, options: HubRequestOptions = {}): Promise<DtypeProbe[]> {
  return dtypesOfListing(await fetchRepoListing(host, repoId, sha, options));
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
