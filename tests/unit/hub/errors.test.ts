import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../../src/lib/engine/errors.ts';
import { classifyModelError, DownloadError, findHubError, GpuOutOfMemoryError, isOutOfMemory, MissingDtypeError } from '../../../src/lib/hub/errors.ts';

describe('error classification', () => {
  it('finds a Hub error wrapped by the engine', () => {
    const dl = new DownloadError('a/b', 'onnx/model.onnx', 'truncated', 'the body ended after 1 of 2 bytes');
    const wrapped = new ModelLoadError('a/b', 'could not be loaded', { cause: new Error('inner', { cause: dl }) });
    expect(findHubError(wrapped)).toBe(dl);
    expect(classifyModelError(wrapped, 'a/b')).toBe(dl);
    expect(dl.message).toBe('a/b: download of onnx/model.onnx failed: the body ended after 1 of 2 bytes. Nothing was cached; run the model again to retry the download.');
  });

  it.each([
    'Failed to allocate a buffer of size 1073741824',
    "[WebGPU] Kernel \"[MatMul]\" failed. Error: GPUOutOfMemoryError",
    'RangeError: Array buffer allocation failed',
    'std::bad_alloc',
    'WebAssembly.Memory(): could not allocate memory',
  ])('maps runtime out-of-memory text to GpuOutOfMemoryError: %s', (msg) => {
    const err = new Error('session failed', { cause: new Error(msg) });
    expect(isOutOfMemory(err)).toBe(true);
    const typed = classifyModelError(err, 'x/y');
    expect(typed).toBeInstanceOf(GpuOutOfMemoryError);
    expect(typed.message).toMatch(/^x\/y: the GPU ran out of memory .*q4/);
  });

  it('leaves other errors alone', () => {
    const e = new Error('Invalid dims');
    expect(isOutOfMemory(e)).toBe(false);
    expect(classifyModelError(e, 'x/y')).toBe(e);
    expect(classifyModelError('boom', 'x/y').message).toBe('boom');
    expect(new MissingDtypeError('x/y', 'q4', []).message).toMatch(/no q4 weights in this repository and no other ONNX weights/);
  });
});
