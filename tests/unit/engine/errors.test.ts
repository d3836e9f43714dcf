import { describe, expect, it } from 'vitest';
import { CancelledError, describeModelError, ModelLoadError } from '../../../src/lib/engine/errors.ts';
import { DownloadError } from '../../../src/lib/hub/errors.ts';

const gpu = { id: 'Xenova/pythia-410m', dtype: 'fp32', device: 'webgpu' };
const wasm = { id: 'arith/arith-l4-d128', dtype: 'q8', device: 'wasm' };

describe('describeModelError', () => {
  // Wordings seen from onnxruntime-web (WebGPU and WASM builds), Chromium and V8.
  it.each([
    "Failed to run the model: [WebGPU] Kernel \"[MatMul] /model/layers.11/mlp/MatMul\" failed. Error: Failed to allocate a buffer of size 268435456",
    'Error: GPUOutOfMemoryError: Not enough memory left.',
    "failed to call OrtRun(). ERROR_CODE: 6, ERROR_MESSAGE: Non-zero status code returned while running MatMul node. Name:'/lm_head/MatMul' Status Message: bad_alloc",
    'RangeError: Array buffer allocation failed',
    'Buffer size (4294967296) exceeds the max buffer size limit (2147483648).',
    'WebAssembly.Memory(): could not allocate memory',
  ])('an out-of-memory error while scoring names the model and says what to try: %s', (text) => {
    const msg = describeModelError(new Error('Failed to run the model', { cause: new Error(text) }), gpu, 'scoring');
    expect(msg.startsWith('Xenova/pythia-410m ran out of GPU memory while scoring (fp32: ')).toBe(true);
    expect(msg).toMatch(/try a smaller dtype \(q4\/q4f16\), fewer items per batch .*, or the WASM backend\.$/);
  });

  it('on WASM it says memory, not GPU memory, and does not suggest WASM', () => {
    const msg = describeModelError(new RangeError('Array buffer allocation failed'), wasm, 'scoring');
    expect(msg).toMatch(/^arith\/arith-l4-d128 ran out of memory while scoring \(q8: Array buffer allocation failed\); try a smaller dtype/);
    expect(msg).not.toMatch(/WASM backend/);
  });

  it('long runtime messages are shortened', () => {
    const msg = describeModelError(new Error(`out of memory ${'x'.repeat(500)}`), gpu, 'scoring');
    expect(msg.length).toBeLessThan(400);
    expect(msg).toContain('…');
  });

  it('load errors keep the engine message (they already name the model and the cause)', () => {
    const load = new ModelLoadError('a/b', 'could not be loaded: the GPU ran out of memory (failed to allocate). Try a smaller model or a 4-bit dtype (q4/q4f16).');
    expect(describeModelError(load, { id: 'a/b', dtype: 'fp32', device: 'webgpu' }, 'loading')).toBe(load.message);
  });

  it('other errors keep their message; cancellation stays a cancellation', () => {
    expect(describeModelError(new Error('Invalid dims [1,3]'), gpu, 'scoring')).toBe('Invalid dims [1,3]');
    expect(describeModelError('boom', gpu, 'loading')).toBe('boom');
    expect(describeModelError(new CancelledError(), gpu, 'scoring')).toBe('The run was cancelled.');
    const dl = new DownloadError('a/b', 'onnx/model.onnx', 'truncated', 'the body ended early');
    expect(describeModelError(dl, gpu, 'loading')).toBe(dl.message);
  });
});
