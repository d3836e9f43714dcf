import { describe, expect, it } from 'vitest';
import { describeBackend, describeEnvironment, describeRuntime, rerunDownloads } from '../../../src/lib/charts/provenance.ts';
import { SPEC } from '../charts/fixtures.ts';
import type { ExperimentSpec } from '../../../src/lib/spec/schema.ts';

describe('describeRuntime', () => {
  it.each([
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome 131 on Linux'],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.85 Safari/537.36', 'Headless Chrome 131 on Linux'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox 133 on Windows'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 'Edge 131 on Windows'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1', 'Safari 18 on iOS'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15', 'Safari 17 on macOS'],
    ['node v20.11.1', 'Node 20.11.1'],
    ['', 'unknown runtime'],
  ])('%s → %s', (ua, expected) => {
    expect(describeRuntime(ua)).toBe(expected);
  });

  it('keeps unknown strings as (shortened) text', () => {
    const odd = '<img src=x onerror=alert(1)>'.repeat(10);
    expect(describeRuntime(odd)).toBe(odd.slice(0, 80));
  });
});

describe('describeBackend / describeEnvironment', () => {
  it('names the adapter and shader-f16 for WebGPU', () => {
    expect(describeBackend({ backend: 'webgpu', adapter: { vendor: 'nvidia', architecture: 'hopper', shaderF16: true } })).toBe('WebGPU (nvidia hopper, shader-f16)');
    expect(describeBackend({ backend: 'webgpu', adapter: { vendor: null, architecture: null, shaderF16: false } })).toBe('WebGPU (unknown adapter, no shader-f16)');
    expect(describeBackend({ backend: 'webgpu', adapter: null })).toBe('WebGPU');
    expect(describeBackend({ backend: 'wasm', adapter: null })).toBe('WASM (CPU)');
    expect(describeBackend({ backend: 'cpu', adapter: null })).toBe('CPU (Node)');
  });

  it('formats versions and the finish time; a bad date is left out', () => {
    const env = { app: '0.1.0', runtime: 'node v20.1.0', backend: 'cpu' as const, adapter: null, transformersVersion: '4.3.2', startedAt: '2026-11-28T08:00:00.000Z', finishedAt: '2026-11-28T08:01:30.000Z' };
    expect(describeEnvironment(env)).toEqual({ runtime: 'Node 20.1.0', backend: 'CPU (Node)', software: 'Emergence Lab 0.1.0, transformers.js 4.3.2', when: '2026-11-28 08:01 UTC' });
    expect(describeEnvironment({ ...env, finishedAt: null, startedAt: 'yesterday', transformersVersion: '' })).toMatchObject({ when: null, software: 'Emergence Lab 0.1.0' });
  });
});

describe('rerunDownloads', () => {
  it('sizes bundled models at 4 bytes per parameter and Hub models from the catalog', () => {
    const spec: ExperimentSpec = {
      ...SPEC,
      models: [
        { id: 'arith/small', source: 'bundled', revision: null, dtype: 'fp32', device: 'wasm' },
        { id: 'Xenova/pythia-14m', source: 'hub', revision: 'a'.repeat(40), dtype: 'fp32', device: 'webgpu' },
        { id: 'someone/unknown-model', source: 'hub', revision: null, dtype: 'q4', device: 'webgpu' },
      ],
    };
    const d = rerunDownloads(spec, (id) => (id === 'arith/small' ? 2400 : null));
    expect(d[0]).toEqual({ id: 'arith/small', source: 'bundled', dtype: 'fp32', revision: null, approxBytes: 9600 });
    expect(d[1].revision).toBe('a'.repeat(40));
    expect(d[1].approxBytes).toBeGreaterThan(10e6);
    expect(d[2].approxBytes).toBeNull();
  });
});
