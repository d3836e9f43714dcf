/**
 * A ModelFileStore in a directory (Node only: the CLI and tests). Layout:
 *   <root>/files/<host>/<owner>/<name>/<revision>/<file>
 *   <root>/absent/<host>/<owner>/<name>/<revision>/<file>     (empty markers)
 *   <root>/sha256/<host>/<owner>/<name>/<revision>/<file>     (the hash a file was checked against)
 * with <host> and <revision> URL-encoded. A file is written under <root>/tmp and renamed into
 * place, so a crash never leaves a partial file where the store would find it.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { parseResolveUrl } from './repo.ts';
import type { ModelFileStore, StoredEntry, StoredIntegrity } from './store.ts';

let counter = 0;

/** A file as a web stream that opens the file on the first read and closes it at the end. */
function lazyFileStream(path: string): ReadableStream<Uint8Array> {
  let handle: FileHandle | null = null;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        handle ??= await open(path, 'r');
        const buf = new Uint8Array(1 << 20);
        const { bytesRead } = await handle.read(buf, 0, buf.length, null);
        if (bytesRead === 0) {
          await handle.close();
          controller.close();
          return;
        }
        controller.enqueue(buf.subarray(0, bytesRead));
      },
      async cancel() {
        await handle?.close();
      },
    },
    { highWaterMark: 0 },
  );
}

export class DirectoryModelStore implements ModelFileStore {
  constructor(readonly root: string) {}

  private pathOf(kind: 'files' | 'absent' | 'sha256', url: string): string | null {
    const p = parseResolveUrl(url);
    if (!p) return null;
    const parts = p.file.split('/');
    if (parts.some((x) => x === '..' || x === '.' || x === '')) return null;
    const [owner, name] = p.repoId.split('/');
    return join(this.root, kind, encodeURIComponent(p.host), owner, name, encodeURIComponent(p.revision), ...parts);
  }

  async match(url: string): Promise<Response | undefined> {
    const path = this.pathOf('files', url);
    if (!path) return undefined;
    let st;
    try {
      st = await stat(path);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    // Opened only when read: transformers.js often only wants the headers (a size check).
    return new Response(lazyFileStream(path), {
      status: 200,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(st.size), 'x-el-stored-at': st.mtime.toISOString() },
    });
  }

  async size(url: string): Promise<number | null> {
    const path = this.pathOf('files', url);
    if (!path) return null;
    try {
      return (await stat(path)).size;
    } catch {
      return null;
    }
  }

  async isAbsent(url: string): Promise<boolean> {
    const path = this.pathOf('absent', url);
    if (!path) return false;
    try {
      await stat(path);
      return true;
    } catch {
      return false;
    }
  }

  async put(url: string, body: Uint8Array, integrity?: StoredIntegrity): Promise<void> {
    const path = this.pathOf('files', url);
    if (!path) throw new Error(`Not a model file URL: ${url}`);
    const tmp = join(this.root, 'tmp', `${process.pid}-${Date.now()}-${counter++}`);
    await mkdir(dirname(tmp), { recursive: true });
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, body);
    const hashPath = this.pathOf('sha256', url);
    if (hashPath) {
      await rm(hashPath, { force: true });
      if (integrity?.sha256) {
        await mkdir(dirname(hashPath), { recursive: true });
        await writeFile(hashPath, integrity.sha256);
      }
    }
    await rename(tmp, path);
    const absent = this.pathOf('absent', url);
    if (absent) await rm(absent, { force: true });
  }

  async putAbsent(url: string): Promise<void> {
    const path = this.pathOf('absent', url);
    if (!path) return;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, '');
  }

  async delete(url: string): Promise<boolean> {
    let removed = false;
    for (const kind of ['files', 'absent', 'sha256'] as const) {
      const path = this.pathOf(kind, url);
      if (!path) continue;
      try {
        await stat(path);
        await rm(path, { force: true });
        removed = true;
      } catch {
        // not there
      }
    }
    return removed;
  }

  async entries(): Promise<StoredEntry[]> {
    const out: StoredEntry[] = [];
    for (const kind of ['files', 'absent'] as const) {
      const base = join(this.root, kind);
      let names: string[];
      try {
        names = (await readdir(base, { recursive: true })) as string[];
      } catch {
        continue;
      }
      for (const name of names) {
        const full = join(base, name);
        const st = await stat(full).catch(() => null);
        if (!st?.isFile()) continue;
        const parts = relative(base, full).split(sep);
        if (parts.length < 5) continue;
        const [host, owner, repo, revision, ...file] = parts;
        const url = `${decodeURIComponent(host)}/${owner}/${repo}/resolve/${revision}/${file.join('/')}`;
        const hash = kind === 'files' ? await readFile(join(this.root, 'sha256', name), 'utf8').catch(() => null) : null;
        out.push({ url, bytes: kind === 'files' ? st.size : 0, absent: kind === 'absent', storedAt: st.mtime.toISOString(), sha256: hash });
      }
    }
    return out;
  }
}
