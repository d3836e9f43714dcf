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
