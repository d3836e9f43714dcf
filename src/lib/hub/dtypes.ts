/**
 * Which ONNX file holds which dtype (transformers.js's naming under onnx/), and which dtype
 * the lab picks for a device.
 */
import { DTYPES, type Device, type Dtype } from '../spec/schema.ts';

/** File suffix of each dtype: onnx/model{suffix}.onnx (transformers.js DEFAULT_DTYPE_SUFFIX_MAPPING). */
export const DTYPE_SUFFIX: Readonly<Record<Dtype, string>> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

/** The ONNX file of a dtype: "onnx/model.onnx", "onnx/model_q4f16.onnx", ... */
export function dtypeFile(dtype: Dtype, baseName = 'model'): string {
  return `onnx/${baseName}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/** External-data chunk files of an ONNX file: "x.onnx_data", "x.onnx_data_1", ... */
export function externalDataFiles(onnxFile: string, chunks: number): string[] {
  return Array.from({ length: chunks }, (_, i) => `${onnxFile}_data${i === 0 ? '' : `_${i}`}`);
}

/** Dtypes whose weights are 16-bit floats: they need WebGPU's shader-f16 feature. */
export const F16_DTYPES: readonly Dtype[] = ['fp16', 'q4f16'];

export interface DtypeCapabilities {
  device: Device;
  /** The WebGPU adapter offers "shader-f16" (see capability/webgpu.ts). */
  shaderF16: boolean;
}

/**
 * Preference order, smallest faithful download first:
 * - WebGPU with shader-f16: q4f16, fp16, q4, fp32
 * - WebGPU without shader-f16: q4, fp32 (fp16 weights cannot run)
 * - WASM / CPU: q8, q4, fp32 (ORT's CPU kernels are fastest on 8-bit; f16 is emulated and slow)
 * 8-bit weights (q8, int8, uint8) are never picked on WebGPU: transformers.js #1512 and #1286
 * report wrong results (gibberish) from them there. int8, uint8 and bnb4 are never picked
 * automatically anywhere; a spec may still name any of them (dtypeWarnings says what to expect).
 */
export function dtypePreference(caps: DtypeCapabilities): Dtype[] {
  if (caps.device === 'webgpu') return caps.shaderF16 ? ['q4f16', 'fp16', 'q4', 'fp32'] : ['q4', 'fp32'];
  return ['q8', 'q4', 'fp32'];
}

/** 8-bit integer weights: wrong results on WebGPU (transformers.js #1512, #1286). */
export const INT8_DTYPES: readonly Dtype[] = ['q8', 'int8', 'uint8'];

/**
 * Known runtime problems of a dtype on a device (and, where known, a model type), as sentences
 * naming the public bug: shown with the plan when a visitor picks such a dtype explicitly.
 */
export function dtypeWarnings(model: { id: string; dtype: Dtype; device: Device; modelType?: string | null }): string[] {
  const out: string[] = [];
  if (model.device !== 'webgpu') return out;
  if (INT8_DTYPES.includes(model.dtype)) {
    out.push(
      `${model.id}: ${model.dtype} weights give wrong results on WebGPU (transformers.js #1512, #1286); ` +
        'its numbers may be garbage. Prefer q4 or fp32 on WebGPU, or run 8-bit weights on the WASM backend.',
    );
  }
  if (F16_DTYPES.includes(model.dtype)) {
    out.push(
      model.modelType === 'gemma3_text'
        ? `${model.id}: Gemma 3 overflows in ${model.dtype} on WebGPU (onnxruntime #26732) and gives NaN; use fp32 or q4.`
        : `${model.id}: ${model.dtype} can produce NaN on some GPUs (onnxruntime #26367); a rung that does fails with a message, then try fp32 or q4.`,
    );
  }
  return out;
}

/**
 * True when this device can run the dtype at all: f16 weights fail on a WebGPU adapter without
 * shader-f16 (WASM and CPU run them, slowly, which is why they are never picked there).
 */
export function dtypeRunsOn(dtype: Dtype, caps: DtypeCapabilities): boolean {
  if (F16_DTYPES.includes(dtype)) return caps.device !== 'webgpu' || caps.shaderF16;
  return true;
}

export interface DtypeChoiceOptions extends DtypeCapabilities {
  /** Skip dtypes whose download (all files) is larger than this. */
  maxBytes?: number;
}

/** Something with a dtype and, when probed, its size. */
export type DtypeOffer = Dtype | { dtype: Dtype; totalBytes?: number; bytes?: number };

function offerOf(o: DtypeOffer): { dtype: Dtype; bytes: number | null } {
  if (typeof o === 'string') return { dtype: o, bytes: null };
  return { dtype: o.dtype, bytes: o.totalBytes ?? o.bytes ?? null };
}

/** The first dtype of the preference order that is available (and fits maxBytes), or null. */
export function chooseDtype(available: readonly DtypeOffer[], options: DtypeChoiceOptions): Dtype | null {
  const offers = available.map(offerOf);
  for (const dtype of dtypePreference(options)) {
    const offer = offers.find((o) => o.dtype === dtype);
    if (!offer) continue;
    if (options.maxBytes !== undefined && offer.bytes !== null && offer.bytes > options.maxBytes) continue;
    return dtype;
  }
  return null;
}

/**
 * One dtype for a whole ladder when every model offers it (so differences between models are
 * differences of scale, not of precision); otherwise each model's own best choice.
 */
export function chooseLadderDtypes(availablePerModel: readonly (readonly DtypeOffer[])[], options: DtypeChoiceOptions): (Dtype | null)[] {
  const sets = availablePerModel.map((a) => a.map(offerOf));
  for (const dtype of dtypePreference(options)) {
    const fitsAll = sets.every((offers) => {
      const o = offers.find((x) => x.dtype === dtype);
      return o !== undefined && (options.maxBytes === undefined || o.bytes === null || o.bytes <= options.maxBytes);
    });
    if (fitsAll && sets.length > 0) return sets.map(() => dtype);
  }
  return availablePerModel.map((a) => chooseDtype(a, options));
}

/**
 * A warning when a ladder mixes dtypes: quantization shifts log-probs, so a curve across mixed
 * dtypes confounds model scale with numeric precision. Null when all models share one dtype.
 */
export function ladderDtypeWarning(models: readonly { id: string; dtype: Dtype }[]): string | null {
  const dtypes = [...new Set(models.map((m) => m.dtype))];
  if (dtypes.length <= 1) return null;
  const byDtype = dtypes.map((d) => `${d}: ${models.filter((m) => m.dtype === d).map((m) => m.id).join(', ')}`);
  return (
    `The models of this ladder use different dtypes (${byDtype.join('; ')}). ` +
    'Quantization changes log-probs, so differences between these models mix scale with precision; ' +
    'choose one dtype for all of them where the repositories allow it.'
  );
}

export function isDtype(x: string): x is Dtype {
  return (DTYPES as readonly string[]).includes(x);
}
