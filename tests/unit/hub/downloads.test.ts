import { describe, expect, it } from 'vitest';
import { applyHubEvent, describeFileDownload, formatBytes, modelDownloads, shortSha, type Downloads } from '../../../src/lib/hub/downloads.ts';
import type { HubEvent } from '../../../src/lib/hub/session.ts';

const fold = (events: HubEvent[]): Downloads => events.reduce(applyHubEvent, {} as Downloads);
const F = 'onnx/model.onnx';

describe('download progress folded from hub events', () => {
  it('bytes of total per file, then downloaded and cached', () => {
    let s = fold([
      { type: 'progress', repoId: 'a/b', file: F, loaded: 1000, total: 4000 },
      { type: 'progress', repoId: 'a/b', file: 'config.json', loaded: 600, total: 600 },
    ]);
    expect(describeFileDownload(s['a/b'][F])).toBe('onnx/model.onnx: 1.0 KB of 4.0 KB');
    expect(modelDownloads(s, 'a/b')).toMatchObject({ loaded: 1600, total: 4600, retrying: [], failed: [] });
    expect(modelDownloads(s, 'a/b')!.files.map((f) => f.file)).toEqual([F, 'config.json']);
    s = applyHubEvent(s, { type: 'complete', repoId: 'a/b', file: F, bytes: 4000 });
    s = applyHubEvent(s, { type: 'cached', repoId: 'a/b', file: F, bytes: 4000 });
    expect(describeFileDownload(s['a/b'][F])).toBe('onnx/model.onnx: 4.0 KB downloaded and cached');
    expect(modelDownloads(s, 'other/x')).toBeNull();
  });

  it('a retry shows the next attempt and why; progress afterwards clears it', () => {
    let s = fold([
      { type: 'progress', repoId: 'a/b', file: F, loaded: 10, total: 40 },
      { type: 'retry', repoId: 'a/b', file: F, attempt: 1, delayMs: 500, reason: 'no bytes for 30 s' },
    ]);
    expect(describeFileDownload(s['a/b'][F])).toBe('onnx/model.onnx: retrying after no bytes for 30 s (attempt 2)');
    expect(modelDownloads(s, 'a/b')!.retrying).toHaveLength(1);
    s = applyHubEvent(s, { type: 'progress', repoId: 'a/b', file: F, loaded: 20, total: 40 });
    expect(s['a/b'][F]).toMatchObject({ status: 'downloading', attempt: 2, retryReason: null });
  });

  it('a failure keeps its message; a cache error marks the file as not cached', () => {
    const s = fold([
      { type: 'progress', repoId: 'a/b', file: F, loaded: 10, total: 40 },
      { type: 'failed', repoId: 'a/b', file: F, error: 'DownloadError', message: 'a/b: download of onnx/model.onnx failed: truncated.' },
      { type: 'complete', repoId: 'c/d', file: F, bytes: 5 },
      { type: 'cache-error', repoId: 'c/d', file: F, message: 'quota' },
    ]);
    expect(modelDownloads(s, 'a/b')!.failed[0].error).toBe('a/b: download of onnx/model.onnx failed: truncated.');
    expect(describeFileDownload(s['a/b'][F])).toBe('onnx/model.onnx: failed');
    expect(describeFileDownload(s['c/d'][F])).toBe('onnx/model.onnx: 5 B downloaded (not cached)');
  });

  it('formats bytes and commits', () => {
    expect([formatBytes(999), formatBytes(1000), formatBytes(28_188), formatBytes(3_258_837), formatBytes(1.5e9), formatBytes(null)]).toEqual(['999 B', '1.0 KB', '28.2 KB', '3.3 MB', '1.50 GB', '?']);
    expect(shortSha('0123456789abcdef0123456789abcdef01234567')).toBe('0123456');
    expect(shortSha('main')).toBe('main');
  });
});
