import { isOutOfMemory } from '../hub/errors.ts';

/** Base class of engine failures; every message names the model and says what to do. */
export class EngineError extends Error {
  override name = 'EngineError';
}

/** The model could not be loaded (missing files, unsupported graph, failed download). */
export class ModelLoadError extends EngineError {
  override name = 'ModelLoadError';
  constructor(
    readonly modelId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${modelId}: ${message}`, options);
  }
}

/** The run was cancelled by the user (AbortSignal). */
export class CancelledError extends EngineError {
  override name = 'CancelledError';
  constructor() {
    super('The run was cancelled.');
  }
}

/** A NaN or infinite log-prob: a broken model or numerics problem, never a value in results. */
export class NumericError extends EngineError {
  override name = 'NumericError';
}

export type ModelPhase = 'loading' | 'scoring';

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The message a failed model's rung shows. Out-of-memory errors of the runtime (ONNX Runtime on
 * WebGPU or WASM words them in many ways, see isOutOfMemory) become one clear sentence naming
 * the model and the phase, with what to try; load errors (ModelLoadError, Hub errors) already
 * name the model; anything else keeps its own message.
 */
export function describeModelError(err: unknown, ref: { id: string; dtype: string; device: string }, phase: ModelPhase): string {
  if (err instanceof CancelledError) return err.message;
  if (err instanceof NumericError) {
    // NaN/Inf from a model that loads fine is a numerics failure of the dtype on this backend.
    const f16 = ref.dtype === 'fp16' || ref.dtype === 'q4f16';
    const known = f16 ? ' 16-bit weights overflow on some GPUs (onnxruntime #26367; Gemma 3: #26732).' : '';
    return `${ref.id} (${ref.dtype} on ${ref.device}) produced NaN or infinite values while ${phase}, so this rung has no results.${known} Run it again with fp32 or q4.`;
  }
  if (isOutOfMemory(err) && !(err instanceof ModelLoadError)) {
    const memory = ref.device === 'webgpu' ? 'GPU memory' : 'memory';
    const detail = errorText(err).replace(/\s+/g, ' ').trim();
    const short = detail.length > 160 ? `${detail.slice(0, 159)}…` : detail;
    const tryWasm = ref.device === 'webgpu' ? ', or the WASM backend' : '';
    return (
      `${ref.id} ran out of ${memory} while ${phase} (${ref.dtype}: ${short}); ` +
      `try a smaller dtype (q4/q4f16), fewer items per batch (shorter items: fewer digits)${tryWasm}.`
    );
  }
  return errorText(err);
}
