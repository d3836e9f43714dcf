import { describe, expect, it } from 'vitest';
import { chooseDtype, chooseLadderDtypes, dtypeFile, dtypePreference, dtypeRunsOn, dtypeWarnings, externalDataFiles, ladderDtypeWarning } from '../../../src/lib/hub/dtypes.ts';
import { DTYPES } from '../../../src/lib/spec/schema.ts';

const gpuF16 = { device: 'webgpu', shaderF16: true } as const;
const gpu = { device: 'webgpu', shaderF16: false } as const;
const wasm = { device: 'wasm', shaderF16: false } as const;

describe('dtype files', () => {
  it('follows transformers.js naming', () => {
    expect(DTYPES.map((d) => dtypeFile(d))).toEqual([
      'onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_quantized.onnx', 'onnx/model_q4.onnx',
      'onnx/model_q4f16.onnx', 'onnx/model_int8.onnx', 'onnx/model_uint8.onnx', 'onnx/model_bnb4.onnx',
    ]);
    expect(externalDataFiles('onnx/model.onnx', 3)).toEqual(['onnx/model.onnx_data', 'onnx/model.onnx_data_1', 'onnx/model.onnx_data_2']);
  });
});

describe('chooseDtype', () => {
  const all = [...DTYPES];
  it('uses f16 weights only where shader-f16 exists', () => {
    expect(chooseDtype(all, gpuF16)).toBe('q4f16');
    expect(chooseDtype(all, gpu)).toBe('q4');
    expect(chooseDtype(['fp16', 'q4f16', 'fp32'], gpu)).toBe('fp32');
    expect(chooseDtype(['fp16', 'q4f16'], gpu)).toBeNull();
    expect(chooseDtype(all, wasm)).toBe('q8');
    for (const caps of [gpu, wasm, { device: 'cpu', shaderF16: true } as const]) {
      expect(dtypePreference(caps).some((d) => !dtypeRunsOn(d, caps))).toBe(false);
      expect(dtypePreference(caps)).not.toContain('fp16');
    }
  });

  it('falls back along the preference order and honours a size budget', () => {
    expect(chooseDtype(['fp32', 'q8'], gpu)).toBe('fp32');
    expect(chooseDtype(['fp32', 'q8'], wasm)).toBe('q8');
    expect(chooseDtype(['fp32'], gpuF16)).toBe('fp32');
    expect(chooseDtype([{ dtype: 'q4', totalBytes: 900 }, { dtype: 'fp32', totalBytes: 500 }], { ...gpu, maxBytes: 600 })).toBe('fp32');
    expect(chooseDtype([{ dtype: 'q4', totalBytes: 900 }], { ...gpu, maxBytes: 600 })).toBeNull();
    expect(chooseDtype([], gpu)).toBeNull();
  });

  it('prefers one dtype for the whole ladder', () => {
    expect(chooseLadderDtypes([['fp32', 'q4', 'q8'], ['fp32', 'q8']], gpu)).toEqual(['fp32', 'fp32']);
    expect(chooseLadderDtypes([['fp32', 'q4', 'q8'], ['fp32', 'q8']], wasm)).toEqual(['q8', 'q8']);
    expect(chooseLadderDtypes([['q4'], ['q8']], gpu)).toEqual(['q4', null]);
  });
});

describe('q8 on WebGPU (transformers.js #1512)', () => {
  it('is never picked automatically on WebGPU, with or without shader-f16, whatever else is missing', () => {
    for (const caps of [gpu, gpuF16]) {
      expect(dtypePreference(caps)).not.toContain('q8');
      expect(chooseDtype(['q8'], caps)).toBeNull();
      expect(chooseDtype(['q8', 'int8', 'uint8', 'fp32'], caps)).toBe('fp32');
    }
  });

  it('an explicit choice is allowed, with a warning naming the bug; other devices get none', () => {
    expect(dtypeWarnings({ id: 'a/b', dtype: 'q8', device: 'webgpu' })).toEqual([expect.stringMatching(/^a\/b: q8 weights give wrong results on WebGPU \(transformers\.js #1512/)]);
    expect(dtypeWarnings({ id: 'a/b', dtype: 'q8', device: 'wasm' })).toEqual([]);
    expect(dtypeWarnings({ id: 'a/b', dtype: 'q4', device: 'webgpu' })).toEqual([]);
    expect(dtypeWarnings({ id: 'g/3', dtype: 'q4f16', device: 'webgpu', modelType: 'gemma3_text' })[0]).toMatch(/onnxruntime #26732/);
    expect(dtypeWarnings({ id: 'a/b', dtype: 'fp16', device: 'webgpu' })[0]).toMatch(/onnxruntime #26367/);
  });
});

describe('ladderDtypeWarning', () => {
  it('is silent for one dtype and names the models when they differ', () => {
    expect(ladderDtypeWarning([{ id: 'a/1', dtype: 'q4' }, { id: 'a/2', dtype: 'q4' }])).toBeNull();
    expect(ladderDtypeWarning([])).toBeNull();
    const w = ladderDtypeWarning([{ id: 'a/1', dtype: 'q4' }, { id: 'a/2', dtype: 'q8' }, { id: 'a/3', dtype: 'q4' }]);
    expect(w).toMatch(/q4: a\/1, a\/3; q8: a\/2/);
    expect(w).toMatch(/mix scale with precision/);
  });
});
