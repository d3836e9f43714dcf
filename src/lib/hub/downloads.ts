/**
 * What the page shows of a run's Hub downloads, folded from the worker's HubEvents: per model,
 * per file, bytes of total, retries ("retrying … (attempt 2)") and failures. Pure: no DOM.
 */
import type { HubEvent } from './session.ts';

export type FileDownloadStatus = 'downloading' | 'retrying' | 'done' | 'cached' | 'failed';

export interface FileDownload {
  file: string;
  status: FileDownloadStatus;
  loaded: number;
  /** Bytes of the whole file, null while the host has not said. */
  total: number | null;
  /** The attempt in progress (1 = first try). */
  attempt: number;
  /** Why the last attempt failed (while retrying). */
  retryReason: string | null;
  /** The failure's message (names the model and file). */
  error: string | null;
  /** The file could not be kept in the cache (it will be downloaded again next time). */
  cacheError: string | null;
}

/** repoId -> file -> download. */
export type Downloads = Readonly<Record<string, Readonly<Record<string, FileDownload>>>>;

function blank(file: string): FileDownload {
  return { file, status: 'downloading', loaded: 0, total: null, attempt: 1, retryReason: null, error: null, cacheError: null };
}

/** Fold one event (pure: returns a new object; the files of other models are shared). */
export function applyHubEvent(state: Downloads, e: HubEvent): Downloads {
  const files = state[e.repoId] ?? {};
  const prev = files[e.file] ?? blank(e.file);
  let next: FileDownload;
  switch (e.type) {
    case 'progress':
      next = { ...prev, status: 'downloading', loaded: e.loaded, total: e.total ?? prev.total, retryReason: null };
      break;
    case 'retry':
      next = { ...prev, status: 'retrying', attempt: e.attempt + 1, retryReason: e.reason };
      break;
    case 'complete':
      next = { ...prev, status: 'done', loaded: e.bytes, total: prev.total ?? e.bytes, retryReason: null };
      break;
    case 'cached':
      next = { ...prev, status: 'cached', loaded: e.bytes, total: prev.total ?? e.bytes, retryReason: null };
      break;
    case 'failed':
      next = { ...prev, status: 'failed', error: e.message, retryReason: null };
      break;
    case 'cache-error':
      next = { ...prev, cacheError: e.message };
      break;
    case 'evicted':
      next = { ...prev, status: 'failed', error: e.message, retryReason: null };
      break;
  }
  return { ...state, [e.repoId]: { ...files, [e.file]: next } };
}

export interface ModelDownloadSummary {
  files: FileDownload[];
  loaded: number;
  /** Sum of known totals. */
  total: number;
  retrying: FileDownload[];
  failed: FileDownload[];
}

/** A model's files (largest first) with totals, or null when nothing was downloaded for it. */
export function modelDownloads(state: Downloads, repoId: string): ModelDownloadSummary | null {
  const files = Object.values(state[repoId] ?? {}).sort((a, b) => (b.total ?? b.loaded) - (a.total ?? a.loaded) || a.file.localeCompare(b.file));
  if (files.length === 0) return null;
  return {
    files,
    loaded: files.reduce((s, f) => s + f.loaded, 0),
    total: files.reduce((s, f) => s + (f.total ?? 0), 0),
    retrying: files.filter((f) => f.status === 'retrying'),
    failed: files.filter((f) => f.status === 'failed'),
  };
}

/** Bytes as "950 B", "12.3 KB", "4.5 MB", "1.20 GB" (decimal units, as the Hub shows sizes). */
export function formatBytes(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '?';
  if (n < 1000) return `${Math.round(n)} B`;
  const units: [number, string][] = [
    [1e9, 'GB'],
    [1e6, 'MB'],
    [1e3, 'KB'],
  ];
  for (const [scale, unit] of units) {
    if (n >= scale) {
      const v = n / scale;
      return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(unit === 'GB' ? 2 : 1)} ${unit}`;
    }
  }
  return `${n} B`;
}

/** One line per file for the run panel: bytes of total, retry, failure. */
export function describeFileDownload(f: FileDownload): string {
  const of = f.total === null ? formatBytes(f.loaded) : `${formatBytes(f.loaded)} of ${formatBytes(f.total)}`;
  switch (f.status) {
    case 'downloading':
      return `${f.file}: ${of}`;
    case 'retrying':
      return `${f.file}: retrying after ${f.retryReason ?? 'an error'} (attempt ${f.attempt})`;
    case 'done':
      return `${f.file}: ${formatBytes(f.loaded)} downloaded${f.cacheError ? ' (not cached)' : ''}`;
    case 'cached':
      return `${f.file}: ${formatBytes(f.loaded)} downloaded and cached`;
    case 'failed':
      return `${f.file}: failed`;
  }
}

/** First 7 characters of a commit sha, as git shows it. */
export function shortSha(sha: string): string {
  return /^[0-9a-f]{40}$/i.test(sha) ? sha.slice(0, 7) : sha;
}
