import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../../src/lib/engine/errors.ts';
import {
  classifyModelError,
  CorruptCachedModelError,
  DownloadError,
  findHubError,
  GpuOutOfMemoryError,
  isOutOfMemory,
  LegacyOnnxLayoutError,
  looksLikeCorruptModel,
  MissingDtypeError,
  runtimeNeedsRestart,
} from '../../../src/lib/hub/errors.ts';

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

describe('runtime failure classes', () => {
  it('looksLikeCorruptModel: unreadable weights, not missing files, memory or Hub errors', () => {
    expect(looksLikeCorruptModel(new Error("Can't create a session. ERROR_CODE: 7, ERROR_MESSAGE: Failed to load model because protobuf parsing failed."))).toBe(true);
    expect(looksLikeCorruptModel(new ModelLoadError('a/b', 'could not be loaded', { cause: new Error('Load model from /x/model.onnx failed:Protobuf parsing failed.') }))).toBe(true);
    expect(looksLikeCorruptModel(new Error('External data path validation failed for initializer: w'))).toBe(true);
    expect(looksLikeCorruptModel(new Error('Could not locate file: "onnx/model.onnx"'))).toBe(false);
    expect(looksLikeCorruptModel(new Error('out of memory'))).toBe(false);
  });

  it('runtimeNeedsRestart: states of the WASM runtime only a fresh worker clears', () => {
    expect(runtimeNeedsRestart(new Error('another WebGPU EP inference session is being created.'))).toBe(true);
    expect(runtimeNeedsRestart('a/b: could not be loaded: RuntimeError: memory access out of bounds')).toBe(true);
    expect(runtimeNeedsRestart(new ModelLoadError('a/b', 'x', { cause: new Error('Aborted(). Build with -sASSERTIONS for more info.') }))).toBe(true);
    expect(runtimeNeedsRestart(new Error('Failed to load model because protobuf parsing failed.'))).toBe(false);
    expect(runtimeNeedsRestart('a/b: download of onnx/model.onnx failed')).toBe(false);
  });

  it('CorruptCachedModelError names the files, says they were removed, offers a fresh download, and keeps the detail short', () => {
    const e = new CorruptCachedModelError('a/b', ['onnx/model.onnx', 'onnx/model.onnx_data'], new Error(`protobuf parsing failed ${'x'.repeat(5000)}`));
    expect(e.message).toMatch(/^a\/b: the cached copy of onnx\/model\.onnx, onnx\/model\.onnx_data could not be loaded as an ONNX model \(protobuf parsing failed x+…\), so it was removed from the cache\. Run the model again to download it again\.$/);
    expect(e.message.length).toBeLessThan(400);
    expect(e.downloadAgain).toBe(true);
  });

  it('LegacyOnnxLayoutError says why and what to choose instead', () => {
    const e = new LegacyOnnxLayoutError('Xenova/opt-125m', 'c'.repeat(40), ['onnx/decoder_model_merged.onnx', 'onnx/decoder_model_merged_quantized.onnx']);
    expect(e.message).toMatch(/^Xenova\/opt-125m: at cccccccccccc this repository has only the legacy ONNX layout .* onnx\/model\.onnx .* Choose an export made for transformers\.js 3 or later/);
  });
});
