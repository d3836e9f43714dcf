/**
 * Where downloaded model files are kept, keyed by their resolve URL (which holds the pinned
 * commit, so an entry never goes stale). Only complete, verified files are ever put here (see
 * transformers-cache.ts); "absent" markers remember optional files a commit does not have, so a
 * cached model loads without a single request.
 *
 * Stores: MemoryModelStore (tests, Node), CacheApiModelStore (browser and worker: the Cache API),
 * DirectoryModelStore (Node, in store-node.ts: not imported by the browser bundle).
 */
import { parseResolveUrl } from './repo.ts';

export interface StoredEntry {
  url: string;
  /** Size of the stored file; 0 for an absent marker. */
  bytes: number;
  /** The file does not exist at this commit (a remembered 404 of an optional file). */
  absent: boolean;
  storedAt: string;
  /** SHA-256 the file was checked against when stored; null: only its length was checked. */
  sha256: string | null;
}

/** How a stored file was checked before it was stored. */
export interface StoredIntegrity {
  /** The published SHA-256 the body matched; null when the host published none (length-checked only). */
  sha256: string | null;
}

export interface ModelFileStore {
  /** The stored file as a Response (content-length set), or undefined (absent markers included). */
  match(url: string): Promise<Response | undefined>;
  /** Size of a stored file, or null when it is not stored. */
  size(url: string): Promise<number | null>;
  isAbsent(url: string): Promise<boolean>;
  put(url: string, body: Uint8Array, integrity?: StoredIntegrity): Promise<void>;
  /**
   * Store a body already verified, straight from its stream (no copy in JS memory): the Cache
   * API writes it to disk as it reads. Optional; stores without it get put().
   */
  putResponse?(url: string, body: ReadableStream<Uint8Array>, bytes: number, integrity: StoredIntegrity): Promise<void>;
  putAbsent(url: string): Promise<void>;
  /** Remove a file or an absent marker; true when something was removed. */
  delete(url: string): Promise<boolean>;
  entries(): Promise<StoredEntry[]>;
}

function fileResponse(body: Uint8Array, storedAt: string, sha256: string | null): Response {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength), 'x-el-stored-at': storedAt };
  if (sha256) headers['x-el-sha256'] = sha256;
  return new Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers });
}

/** Files in memory: for tests and Node runs that do not keep files between processes. */
export class MemoryModelStore implements ModelFileStore {
  private readonly files = new Map<string, { body: Uint8Array; storedAt: string; sha256: string | null }>();
  private readonly absent = new Map<string, string>();

  async match(url: string): Promise<Response | undefined> {
    const f = this.files.get(url);
    return f ? fileResponse(f.body, f.storedAt, f.sha256) : undefined;
  }
  async size(url: string): Promise<number | null> {
    return this.files.get(url)?.body.byteLength ?? null;
  }
  async isAbsent(url: string): Promise<boolean> {
    return this.absent.has(url);
  }
  async put(url: string, body: Uint8Array, integrity?: StoredIntegrity): Promise<void> {
    this.absent.delete(url);
    this.files.set(url, { body: body.slice(), storedAt: new Date().toISOString(), sha256: integrity?.sha256 ?? null });
  }
  async putAbsent(url: string): Promise<void> {
    this.absent.set(url, new Date().toISOString());
  }
  async delete(url: string): Promise<boolean> {
    return this.files.delete(url) || this.absent.delete(url);
  }
  async entries(): Promise<StoredEntry[]> {
    return [
      ...[...this.files].map(([url, f]) => ({ url, bytes: f.body.byteLength, absent: false, storedAt: f.storedAt, sha256: f.sha256 })),
      ...[...this.absent].map(([url, storedAt]) => ({ url, bytes: 0, absent: true, storedAt, sha256: null })),
    ];
  }
}

/** The subset of the Cache API the store uses (lets tests pass a fake). */
export interface CacheLike {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
  delete(request: string): Promise<boolean>;
  keys(): Promise<readonly { url: string }[]>;
}

export const DEFAULT_CACHE_NAME = 'emergence-lab-models-v1';

/**
 * The browser's Cache API (works in the page and in workers; persists across visits, counted
 * against the origin's storage quota). Pass `open` to use another cache (tests use a fake).
 */
export class CacheApiModelStore implements ModelFileStore {
  private cache: Promise<CacheLike> | null = null;

  constructor(
    private readonly cacheName = DEFAULT_CACHE_NAME,
    private readonly open: (name: string) => Promise<CacheLike> = (name) => caches.open(name) as unknown as Promise<CacheLike>,
  ) {}

  private get(): Promise<CacheLike> {
    this.cache ??= this.open(this.cacheName);
    return this.cache;
  }

  async match(url: string): Promise<Response | undefined> {
    const r = await (await this.get()).match(url);
    if (!r || r.headers.get('x-el-absent') === '1') return undefined;
    return r;
  }
  async size(url: string): Promise<number | null> {
    const r = await this.match(url);
    if (!r) return null;
    await r.body?.cancel().catch(() => undefined);
    return Number(r.headers.get('content-length') ?? NaN) || 0;
  }
  async isAbsent(url: string): Promise<boolean> {
    const r = await (await this.get()).match(url);
    return r?.headers.get('x-el-absent') === '1';
  }
  async put(url: string, body: Uint8Array, integrity?: StoredIntegrity): Promise<void> {
    await (await this.get()).put(url, fileResponse(body, new Date().toISOString(), integrity?.sha256 ?? null));
  }
  async putResponse(url: string, body: ReadableStream<Uint8Array>, bytes: number, integrity: StoredIntegrity): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'content-length': String(bytes), 'x-el-stored-at': new Date().toISOString() };
    if (integrity.sha256) headers['x-el-sha256'] = integrity.sha256;
    await (await this.get()).put(url, new Response(body, { status: 200, headers }));
    // A stream cut short would leave a short entry: check what was stored.
    if ((await this.size(url)) !== bytes) {
      await this.delete(url);
      throw new Error(`stored ${url} incompletely`);
    }
  }
  async putAbsent(url: string): Promise<void> {
    await (await this.get()).put(url, new Response('', { status: 200, headers: { 'x-el-absent': '1', 'x-el-stored-at': new Date().toISOString() } }));
  }
  async delete(url: string): Promise<boolean> {
    return (await this.get()).delete(url);
  }
  async entries(): Promise<StoredEntry[]> {
    const cache = await this.get();
    const out: StoredEntry[] = [];
    for (const req of await cache.keys()) {
      const r = await cache.match(req.url);
      if (!r) continue;
      await r.body?.cancel().catch(() => undefined);
      const absent = r.headers.get('x-el-absent') === '1';
      out.push({
        url: req.url,
        bytes: absent ? 0 : Number(r.headers.get('content-length') ?? 0),
        absent,
        storedAt: r.headers.get('x-el-stored-at') ?? '',
        sha256: r.headers.get('x-el-sha256'),
      });
    }
    return out;
  }
}

// ---- Cache manager: what the UI shows and deletes ----

export interface CachedFile {
  file: string;
  bytes: number;
  /** Checked against a published SHA-256 (true) or only against its length (false). */
  hashVerified: boolean;
}

export interface CachedModel {
  host: string;
  repoId: string;
  revision: string;
  files: CachedFile[];
  bytes: number;
  /** Latest time a file of this model was stored (ISO). */
  storedAt: string;
}

/** Cached models grouped by host, repository and revision, largest first. */
export async function listCachedModels(store: ModelFileStore): Promise<CachedModel[]> {
  const groups = new Map<string, CachedModel>();
  for (const e of await store.entries()) {
    const p = parseResolveUrl(e.url);
    if (!p) continue;
    const key = `${p.host}\n${p.repoId}\n${p.revision}`;
    let g = groups.get(key);
    if (!g) {
      g = { host: p.host, repoId: p.repoId, revision: p.revision, files: [], bytes: 0, storedAt: e.storedAt };
      groups.set(key, g);
    }
    if (e.storedAt > g.storedAt) g.storedAt = e.storedAt;
    if (e.absent) continue;
    g.files.push({ file: p.file, bytes: e.bytes, hashVerified: e.sha256 !== null });
    g.bytes += e.bytes;
  }
  return [...groups.values()].filter((g) => g.files.length > 0).sort((a, b) => b.bytes - a.bytes || a.repoId.localeCompare(b.repoId));
}

/** Delete every cached file of a model (one revision, or all when revision is omitted); returns bytes freed. */
export async function deleteCachedModel(store: ModelFileStore, repoId: string, revision?: string): Promise<number> {
  let freed = 0;
  for (const e of await store.entries()) {
    const p = parseResolveUrl(e.url);
    if (!p || p.repoId !== repoId || (revision !== undefined && p.revision !== revision)) continue;
    if (await store.delete(e.url)) freed += e.bytes;
  }
  return freed;
}

/** Total bytes of all cached model files. */
export async function cachedBytes(store: ModelFileStore): Promise<number> {
  return (await store.entries()).reduce((s, e) => s + e.bytes, 0);
}

/** Delete everything in the store; returns bytes freed. */
export async function clearModelStore(store: ModelFileStore): Promise<number> {
  let freed = 0;
  for (const e of await store.entries()) if (await store.delete(e.url)) freed += e.bytes;
  return freed;
}
