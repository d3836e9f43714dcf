/**
 * A local server imitating the Hugging Face Hub's URL layout, for tests (the real Hub is never
 * reached). Listens on 127.0.0.1 only (port 0 unless `port` is given), refuses non-loopback
 * peers, and tears every connection and timer down on close(). Like the Hub it answers CORS
 * (any origin, the download headers exposed, OPTIONS preflights), so the browser app can use it.
 *
 *   GET|HEAD /{owner}/{repo}/resolve/{revision}/{file}   Content-Length, ETag, X-Repo-Commit,
 *            Accept-Ranges (Range / If-Range supported), 404 for missing files. Like the Hub, LFS
 *            files (*.onnx, *.onnx_data*, *.bin, *.safetensors) carry their SHA-256 as ETag and
 *            X-Linked-Etag (plus X-Linked-Size); other files a git-blob-style sha1 ETag.
 *   GET      /api/models/{owner}/{repo}/revision/{rev}   { id, sha, siblings: [{ rfilename, size }] }
 *   GET      /api/models/{owner}/{repo}/tree/{rev}[/{path}][?recursive=true]   the Hub's tree API:
 *            [{ type, oid, size, path, lfs?: { oid, size, pointerSize } }]
 *
 * The tree API takes `status` faults under the file name "/api/tree" (e.g. a 429 with Retry-After).
 * Per repository, `listing` replaces the tree API's body (raw text: tests send hostile JSON).
 *
 * Revisions: "main" and the repository's fixed fake commit sha. Unknown repositories answer 401
 * (as the Hub does for anonymous callers), unknown revisions 404.
 *
 * Faults, per file, hit downloads (a `missing` file is also left out of the tree listing) (GET, including resumed ranges, but not transformers.js's
 * one-byte "bytes=0-0" probes; `missing` also answers HEAD and probes), optionally for the first
 * `times` downloads only:
 *   missing       404
 *   truncate      body cut at byte `at` (default half the file), then the connection is reset
 *   stall         body stops at byte `at` (default a quarter), nothing for `ms`, then reset
 *   wrong-length  Content-Length off by `delta` (default +64): a short body (clean end for a
 *                 negative delta, reset after the real bytes for a positive one)
 *   status        answers `status` (e.g. 503 or 429, with `retryAfter` seconds) with no body
 *   corrupt       the right length, but `count` bytes from `at` (default the middle) flipped;
 *                 the headers (ETag, X-Linked-Etag) still name the good file's hash
 *   reset         resets the connection before any header
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, relative, sep } from 'node:path';

export type HubFault =
  | { kind: 'missing'; times?: number }
  | { kind: 'truncate'; at?: number; times?: number }
  | { kind: 'stall'; at?: number; ms?: number; times?: number }
  | { kind: 'wrong-length'; delta?: number; times?: number }
  | { kind: 'status'; status: number; retryAfter?: string; times?: number }
  | { kind: 'corrupt'; at?: number; count?: number; times?: number }
  | { kind: 'reset'; times?: number };

export interface HubRepoSource {
  /** Folder whose files are served (read when the server starts). */
  dir?: string;
  /** Files added or replaced (path inside the repo -> content). */
  files?: Record<string, string | Uint8Array>;
  /** Commit sha of this repo (default: the server's sha). */
  sha?: string;
  /** Raw body of the tree API for this repo (e.g. deeply nested JSON). */
  listing?: string;
}

export interface HubRequestRecord {
  method: string;
  /** 'file' for /resolve/ requests, 'tree' for the tree (listing) API, 'api' for other /api/ requests, 'other' otherwise. */
  kind: 'file' | 'api' | 'tree' | 'other';
  repoId: string | null;
  revision: string | null;
  file: string | null;
  range: string | null;
  status: number;
}

export interface HubServer {
  /** Base URL, e.g. "http://127.0.0.1:41234" (no trailing slash). */
  url: string;
  /** The fake commit sha "main" resolves to. */
  sha: string;
  /** Every request so far, in order. */
  log: HubRequestRecord[];
  count(filter?: Partial<Pick<HubRequestRecord, 'method' | 'kind' | 'repoId' | 'file' | 'revision' | 'range'>>): number;
  resetLog(): void;
  setFault(repoId: string, file: string, fault: HubFault): void;
  clearFault(repoId: string, file: string): void;
  clearFaults(): void;
  close(): Promise<void>;
}

export const DEFAULT_FAKE_SHA = '0123456789abcdef0123456789abcdef01234567';

interface RepoFile {
  body: Buffer;
  etag: string;
  /** SHA-256 (hex) of an LFS file, as the Hub publishes it; null for a plain git file. */
  lfsSha256: string | null;
  /** Git blob id (sha1 of "blob <size>\0" + content). */
  blobId: string;
}

interface RepoFiles {
  sha: string;
  files: Map<string, RepoFile>;
  listing: string | null;
}

/** Files the Hub keeps in LFS (by the .gitattributes every Hub repository starts with). */
export function isLfsPath(path: string): boolean {
  return /\.(onnx|onnx_data(_\d+)?|bin|safetensors|pt|h5|msgpack)$/.test(path);
}

function repoFile(path: string, body: Buffer): RepoFile {
  const blobId = createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex');
  const lfsSha256 = isLfsPath(path) ? createHash('sha256').update(body).digest('hex') : null;
  return { body, blobId, lfsSha256, etag: `"${lfsSha256 ?? blobId}"` };
}

function readDir(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const full = join(dir, name);
    if (statSync(full).isFile()) out.set(relative(dir, full).split(sep).join('/'), readFileSync(full));
  }
  return out;
}

function isLoopback(addr: string | undefined): boolean {
  return addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1';
}

/** Response headers the Hub exposes to browser pages (transformers.js and the lab read them). */
const EXPOSED_HEADERS = 'Content-Length, Content-Range, Accept-Ranges, ETag, X-Repo-Commit, X-Error-Code, X-Linked-Etag, X-Linked-Size, Retry-After, Link';

export async function startHubServer(options: {
  repos: Record<string, HubRepoSource>;
  sha?: string;
  port?: number;
  /** Entries per tree-API page (the Hub: 1,000); further pages are named by a Link header. */
  treePageSize?: number;
}): Promise<HubServer> {
  const defaultSha = options.sha ?? DEFAULT_FAKE_SHA;
  const repos = new Map<string, RepoFiles>();
  for (const [repoId, src] of Object.entries(options.repos)) {
    const raw = src.dir ? readDir(src.dir) : new Map<string, Buffer>();
    for (const [path, content] of Object.entries(src.files ?? {})) raw.set(path, Buffer.from(content));
    const files = new Map([...raw].map(([p, body]) => [p, repoFile(p, body)]));
    repos.set(repoId, { sha: src.sha ?? defaultSha, files, listing: src.listing ?? null });
  }
  const faults = new Map<string, HubFault & { used: number }>();
  const log: HubRequestRecord[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const faultKey = (repoId: string, file: string) => `${repoId}\n${file}`;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  function serveFile(req: IncomingMessage, res: ServerResponse, repo: RepoFiles, repoId: string, file: string, record: HubRequestRecord) {
    const entry = repo.files.get(file);
    const fault = faults.get(faultKey(repoId, file));
    // transformers.js's one-byte metadata probes ("Range: bytes=0-0") are never faulted.
    const isGet = req.method === 'GET' && req.headers.range !== 'bytes=0-0';
    const active = fault && (fault.times === undefined || fault.used < fault.times) && (isGet || fault.kind === 'missing');
    if (active && isGet) fault.used++;
    if (!entry || (active && fault.kind === 'missing')) {
      record.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain', 'x-error-code': 'EntryNotFound', 'content-length': 15 });
      res.end(req.method === 'HEAD' ? undefined : 'Entry not found');
      return;
    }
    const size = entry.body.length;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range;
    const ifRange = req.headers['if-range'];
    if (range && (!ifRange || ifRange === entry.etag)) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (!m || Number(m[1]) >= size) {
        record.status = 416;
        res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-length': 0 });
        res.end();
        return;
      }
      start = Number(m[1]);
      end = m[2] ? Math.min(size - 1, Number(m[2])) : size - 1;
      status = 206;
    }
    const headers: Record<string, string | number> = {
      'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
      etag: entry.etag,
      'x-repo-commit': repo.sha,
      'accept-ranges': 'bytes',
    };
    if (entry.lfsSha256) {
      headers['x-linked-etag'] = `"${entry.lfsSha256}"`;
      headers['x-linked-size'] = size;
    }
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    const body = entry.body.subarray(start, end + 1);
    record.status = status;
    if (req.method === 'HEAD') {
      res.writeHead(status, { ...headers, 'content-length': body.length });
      res.end();
      return;
    }
    if (active && fault.kind === 'reset') {
      record.status = 0;
      req.socket.destroy();
      return;
    }
    if (active && fault.kind === 'status') {
      record.status = fault.status;
      res.writeHead(fault.status, { 'content-length': 0, ...(fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {}) });
      res.end();
      return;
    }
    if (active && (fault.kind === 'truncate' || fault.kind === 'stall')) {
      // The cut is at an absolute byte of the file, so resuming past it fails again.
      const cut = fault.at ?? Math.floor(size / (fault.kind === 'truncate' ? 2 : 4));
      res.writeHead(status, { ...headers, 'content-length': body.length });
      const sent = entry.body.subarray(start, Math.max(start, Math.min(end + 1, cut)));
      res.flushHeaders();
      if (sent.length) res.write(sent);
      if (fault.kind === 'truncate') {
        const t = setTimeout(() => {
          timers.delete(t);
          req.socket.destroy();
        }, 20);
        timers.add(t);
      } else {
        const t = setTimeout(() => {
          timers.delete(t);
          req.socket.destroy();
        }, fault.ms ?? 10_000);
        timers.add(t);
      }
      return;
    }
    if (active && fault.kind === 'wrong-length') {
      const delta = fault.delta ?? 64;
      const declared = Math.max(0, body.length + delta);
      res.writeHead(status, { ...headers, 'content-length': declared, connection: 'close' });
      if (delta < 0) {
        res.end(body.subarray(0, declared));
      } else {
        res.write(body);
        const t = setTimeout(() => {
          timers.delete(t);
          req.socket.destroy();
        }, 20);
        timers.add(t);
      }
      return;
    }
    if (active && fault.kind === 'corrupt') {
      // Same length, same headers, wrong bytes (a bad disk or proxy): only a hash can tell.
      const bad = Buffer.from(entry.body);
      const at = fault.at ?? Math.floor(size / 2);
      for (let i = at; i < Math.min(size, at + (fault.count ?? 16)); i++) bad[i] ^= 0xff;
      const part = bad.subarray(start, end + 1);
      res.writeHead(status, { ...headers, 'content-length': part.length });
      res.end(part);
      return;
    }
    res.writeHead(status, { ...headers, 'content-length': body.length });
    res.end(body);
  }

  /** The Hub's tree API: entries under `dir` (all depths when recursive), directories included. */
  function treeListing(repoId: string, repo: RepoFiles, dir: string, recursive: boolean) {
    const prefix = dir ? `${dir.replace(/\/+$/, '')}/` : '';
    const dirs = new Set<string>();
    const out: unknown[] = [];
    for (const [path, f] of [...repo.files].sort(([a], [b]) => a.localeCompare(b))) {
      if (!path.startsWith(prefix)) continue;
      // A file faulted as missing is not in the repository, so not in its listing either.
      const fault = faults.get(faultKey(repoId, path));
      if (fault?.kind === 'missing' && (fault.times === undefined || fault.used < fault.times)) continue;
      const rest = path.slice(prefix.length).split('/');
      for (let i = 1; i < rest.length; i++) {
        if (!recursive && i > 1) break;
        const d = prefix + rest.slice(0, i).join('/');
        if (!dirs.has(d)) {
          dirs.add(d);
          out.push({ type: 'directory', oid: createHash('sha1').update(d).digest('hex'), size: 0, path: d });
        }
      }
      if (!recursive && rest.length > 1) continue;
      out.push({
        type: 'file',
        oid: f.blobId,
        size: f.body.length,
        path,
        ...(f.lfsSha256 ? { lfs: { oid: f.lfsSha256, size: f.body.length, pointerSize: 134 } } : {}),
      });
    }
    return out;
  }

  const server = createServer((req, res) => {
    const record: HubRequestRecord = { method: req.method ?? 'GET', kind: 'other', repoId: null, revision: null, file: null, range: req.headers.range ?? null, status: 0 };
    log.push(record);
    if (!isLoopback(req.socket.remoteAddress)) {
      record.status = 403;
      req.socket.destroy();
      return;
    }
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    res.setHeader('cross-origin-resource-policy', 'cross-origin');
    if (req.method === 'OPTIONS') {
      record.status = 204;
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, HEAD',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'range',
        'access-control-max-age': '600',
        'content-length': 0,
      });
      res.end();
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path);
    if (api) {
      record.kind = 'api';
      record.repoId = api[1];
      record.revision = decodeURIComponent(api[2]);
      const repo = repos.get(api[1]);
      if (!repo) return json(res, (record.status = 401), { error: 'Repository not found' });
      if (req.method !== 'GET') return json(res, (record.status = 405), { error: 'Method not allowed' });
      if (record.revision !== 'main' && record.revision !== repo.sha) return json(res, (record.status = 404), { error: `Invalid rev id: ${record.revision}` });
      record.status = 200;
      return json(res, 200, {
        id: api[1],
        modelId: api[1],
        sha: repo.sha,
        siblings: [...repo.files].map(([rfilename, f]) => ({ rfilename, size: f.body.length })),
      });
    }
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(path);
    if (tree) {
      record.kind = 'tree';
      record.repoId = tree[1];
      record.revision = decodeURIComponent(tree[2]);
      const repo = repos.get(tree[1]);
      if (!repo) return json(res, (record.status = 401), { error: 'Repository not found' });
      if (record.revision !== 'main' && record.revision !== repo.sha) return json(res, (record.status = 404), { error: `Invalid rev id: ${record.revision}` });
      const fault = faults.get(faultKey(tree[1], '/api/tree'));
      if (fault && fault.kind === 'status' && (fault.times === undefined || fault.used < fault.times)) {
        fault.used++;
        record.status = fault.status;
        res.writeHead(fault.status, { 'content-length': 0, ...(fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {}) });
        res.end();
        return;
      }
      record.status = 200;
      if (repo.listing !== null) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(repo.listing) });
        res.end(repo.listing);
        return;
      }
      const recursive = /[?&]recursive=(1|true)\b/.test(req.url ?? '');
      const all = treeListing(tree[1], repo, decodeURIComponent(tree[3] ?? ''), recursive);
      const size = options.treePageSize ?? 1000;
      const cursor = Number(/[?&]cursor=(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
      if (cursor + size < all.length) {
        const nextUrl = new URL(req.url ?? '/', `http://${req.headers.host}`);
        nextUrl.searchParams.set('cursor', String(cursor + size));
        res.setHeader('link', `<${nextUrl.href}>; rel="next"`);
      }
      return json(res, 200, all.slice(cursor, cursor + size));
    }
    const file = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (file) {
      record.kind = 'file';
      record.repoId = file[1];
      record.revision = decodeURIComponent(file[2]);
      record.file = decodeURIComponent(file[3]);
      const repo = repos.get(file[1]);
      if (!repo) {
        record.status = 401;
        res.writeHead(401, { 'x-error-code': 'RepoNotFound', 'content-length': 0 });
        res.end();
        return;
      }
      if (record.revision !== 'main' && record.revision !== repo.sha) {
        record.status = 404;
        res.writeHead(404, { 'x-error-code': 'RevisionNotFound', 'content-length': 0 });
        res.end();
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        record.status = 405;
        res.writeHead(405, { 'content-length': 0 });
        res.end();
        return;
      }
      return serveFile(req, res, repo, file[1], record.file, record);
    }
    record.status = 404;
    res.writeHead(404, { 'content-length': 0 });
    res.end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    sha: defaultSha,
    log,
    count(filter = {}) {
      return log.filter((r) => Object.entries(filter).every(([k, v]) => r[k as keyof HubRequestRecord] === v)).length;
    },
    resetLog() {
      log.length = 0;
    },
    setFault(repoId, file, fault) {
      faults.set(faultKey(repoId, file), { ...fault, used: 0 });
    },
    clearFault(repoId, file) {
      faults.delete(faultKey(repoId, file));
    },
    clearFaults() {
      faults.clear();
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
