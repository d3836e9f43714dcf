/**
 * Provenance of a shown run, in words: which browser, backend, adapter, library and app made
 * it, and what re-running it here would download. Pure (the UI renders the strings as text).
 */
import { findHubModel } from '../catalog/hub-catalog.ts';
export { formatBytes } from '../hub/downloads.ts';
import type { RunEnvironment } from '../results/types.ts';
import type { ExperimentSpec, ModelRef } from '../spec/schema.ts';

export interface EnvironmentLabel {
  runtime: string;
  backend: string;
  software: string;
  when: string | null;
}

/** "Chrome 131 on Linux", "Firefox 133 on Windows", "Node 20.11.1"; the raw string when unknown. */
export function describeRuntime(runtime: string): string {
  const node = /^node v?(\d+(?:\.\d+)*)/i.exec(runtime);
  if (node) return `Node ${node[1]}`;
  const os = /Android/.test(runtime) ? 'Android' : /iPhone|iPad|iOS/.test(runtime) ? 'iOS' : /Windows/.test(runtime) ? 'Windows' : /Mac OS X|Macintosh/.test(runtime) ? 'macOS' : /CrOS/.test(runtime) ? 'ChromeOS' : /Linux/.test(runtime) ? 'Linux' : null;
  const browsers: [string, RegExp][] = [
    ['Edge', /Edg\/(\d+)/],
    ['Opera', /OPR\/(\d+)/],
    ['Firefox', /Firefox\/(\d+)/],
    ['Chrome', /(?:HeadlessChrome|Chrome|Chromium)\/(\d+)/],
    ['Safari', /Version\/(\d+)[^ ]* (?:Mobile\/\S+ )?Safari/],
  ];
  for (const [name, re] of browsers) {
    const m = re.exec(runtime);
    if (m) return `${/HeadlessChrome/.test(runtime) && name === 'Chrome' ? 'Headless Chrome' : name} ${m[1]}${os ? ` on ${os}` : ''}`;
  }
  const short = runtime.trim().slice(0, 80);
  return short === '' ? 'unknown runtime' : short;
}

export function describeBackend(env: Pick<RunEnvironment, 'backend' | 'adapter'>): string {
  if (env.backend === 'webgpu') {
    const a = env.adapter;
    const gpu = a ? [a.vendor, a.architecture].filter((x): x is string => Boolean(x)).join(' ') : '';
    const f16 = a ? (a.shaderF16 ? 'shader-f16' : 'no shader-f16') : null;
    return `WebGPU${gpu || f16 ? ` (${[gpu || 'unknown adapter', f16].filter(Boolean).join(', ')})` : ''}`;
  }
  return env.backend === 'wasm' ? 'WASM (CPU)' : 'CPU (Node)';
}

export function describeEnvironment(env: RunEnvironment): EnvironmentLabel {
  const when = env.finishedAt ?? env.startedAt;
  const d = when ? new Date(when) : null;
  return {
    runtime: describeRuntime(env.runtime),
    backend: describeBackend(env),
    software: `Emergence Lab ${env.app}${env.transformersVersion ? `, transformers.js ${env.transformersVersion}` : ''}`,
    when: d && !Number.isNaN(d.getTime()) ? d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : null,
  };
}

export interface PlannedDownload {
  id: string;
  source: ModelRef['source'];
  dtype: string;
  /** Pinned commit, or null (bundled models; a hub ref pinned at run time). */
  revision: string | null;
  /** Approximate bytes, or null when not known before asking the model host. */
  approxBytes: number | null;
}

/**
 * What re-running a spec would download, as far as is known without any request: bundled
 * models from their parameter counts (fp32: 4 bytes each), Hub models from the catalog's
 * approximate sizes. Exact sizes of Hub models come from the download plan, asked before any
 * model file is fetched.
 */
export function rerunDownloads(spec: ExperimentSpec, paramsOf: (id: string) => number | null): PlannedDownload[] {
  return spec.models.map((m) => {
    let approxBytes: number | null = null;
    if (m.source === 'bundled') {
      const params = paramsOf(m.id);
      approxBytes = params === null ? null : params * 4;
    } else {
      const mb = findHubModel(m.id)?.model.approxMB[m.dtype];
      approxBytes = mb === undefined ? null : Math.round(mb * 1e6);
    }
    return { id: m.id, source: m.source, dtype: m.dtype, revision: m.revision, approxBytes };
  });
}
