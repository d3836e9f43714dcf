/**
 * Hub repository ids, revisions and the URL layout of a Hub-compatible host:
 *   {host}/{owner}/{name}/resolve/{revision}/{file}   file contents (GET, HEAD, Range)
 *   {host}/api/models/{owner}/{name}/revision/{rev}   repository info at a revision ({ sha, siblings })
 *   {host}/api/models/{owner}/{name}/tree/{rev}?recursive=true   files with sizes and LFS SHA-256
 */
import { InvalidRepoIdError } from './errors.ts';

/** Longest owner or name the Hub accepts (huggingface_hub's validate_repo_id). */
export const MAX_REPO_PART = 96;
const PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const COMMIT_SHA = /^[0-9a-f]{40}$/;

/**
 * Check a Hub model id ("owner/name") against the Hub's naming rules and return it unchanged.
 * Throws InvalidRepoIdError saying what is wrong (a URL, a missing owner, a bad character...).
 */
export function validateRepoId(id: unknown): string {
  if (typeof id !== 'string') throw new InvalidRepoIdError(String(id), 'it is not text');
  if (id.length === 0) throw new InvalidRepoIdError(id, 'it is empty');
  if (/^https?:\/\//i.test(id)) {
    const m = /^https?:\/\/[^/]+\/([^/?#]+\/[^/?#]+)/i.exec(id);
    throw new InvalidRepoIdError(id, `it is a URL${m ? `; the id is probably "${m[1]}"` : ''}`);
  }
  if (/\s/.test(id)) throw new InvalidRepoIdError(id, 'it contains whitespace');
  const parts = id.split('/');
  if (parts.length === 1) throw new InvalidRepoIdError(id, 'the owner is missing (models without an owner are not supported)');
  if (parts.length > 2) throw new InvalidRepoIdError(id, 'it has more than one "/" (give the repository, not a file in it)');
  for (const [what, part] of [['owner', parts[0]], ['name', parts[1]]] as const) {
    if (part.length === 0) throw new InvalidRepoIdError(id, `the ${what} is empty`);
    if (part.length > MAX_REPO_PART) throw new InvalidRepoIdError(id, `the ${what} is longer than ${MAX_REPO_PART} characters`);
    if (!PART.test(part)) {
      throw new InvalidRepoIdError(id, `the ${what} may only contain letters, digits, "-", "_" and ".", and must start and end with a letter or digit`);
    }
    if (part.includes('--') || part.includes('..')) throw new InvalidRepoIdError(id, `the ${what} contains "--" or ".."`);
  }
  if (/\.(git|ipynb)$/.test(parts[1])) throw new InvalidRepoIdError(id, 'the name must not end with ".git" or ".ipynb"');
  return id;
}

/** True for a full 40-hex commit id: the only revision whose files can never change. */
export function isCommitSha(revision: string | null | undefined): revision is string {
  return typeof revision === 'string' && COMMIT_SHA.test(revision);
}

/** A host URL without a trailing slash; throws for anything but http(s). */
export function normalizeHost(host: string): string {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new Error(`Model host "${host}" is not an absolute URL (e.g. "https://huggingface.co").`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`Model host "${host}" must use http or https.`);
  return url.href.replace(/\/+$/, '');
}

/** URL of one file of a repository at a revision (the layout transformers.js requests). */
export function resolveUrl(host: string, repoId: string, revision: string, file: string): string {
  return `${normalizeHost(host)}/${repoId}/resolve/${encodeURIComponent(revision)}/${file.replace(/^\/+/, '')}`;
}

/** URL of the Hub's tree API: every file of a repository at a revision, recursively. */
export function treeApiUrl(host: string, repoId: string, revision: string): string {
  return `${normalizeHost(host)}/api/models/${repoId}/tree/${encodeURIComponent(revision)}?recursive=true`;
}

/** URL of the Hub API's repository info at a revision. */
export function revisionApiUrl(host: string, repoId: string, revision: string): string {
  return `${normalizeHost(host)}/api/models/${repoId}/revision/${encodeURIComponent(revision)}`;
}

export interface ResolvedFileUrl {
  /** The host part of the URL (no trailing slash). */
  host: string;
  repoId: string;
  revision: string;
  file: string;
}

/**
 * Host, repository, revision and file of a resolve URL ("{host}/{owner}/{name}/resolve/{rev}/{file}"),
 * or null for any other URL. With `host`, only URLs on that host match.
 */
export function parseResolveUrl(url: string, host?: string): ResolvedFileUrl | null {
  if (host !== undefined && !url.startsWith(`${normalizeHost(host)}/`)) return null;
  const clean = url.split(/[?#]/)[0];
  const m = /^(https?:\/\/.+?)\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/+(.+)$/.exec(clean);
  if (!m) return null;
  let revision: string;
  try {
    revision = decodeURIComponent(m[3]);
  } catch {
    return null;
  }
  const parsedHost = m[1];
  if (host !== undefined && parsedHost !== normalizeHost(host)) return null;
  // Collapse the double slashes that path joining can leave ("resolve/<sha>//onnx/model.onnx").
  return { host: parsedHost, repoId: m[2], revision, file: m[4].replace(/\/{2,}/g, '/') };
}
