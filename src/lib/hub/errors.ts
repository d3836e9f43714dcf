/**
 * Typed failures of the Hub client. Every message names the model (and the file where there is
 * one) and says what the visitor can do. A ladder keeps running past any of them: the runner
 * records the failed model and goes on with the next.
 */

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    /** Repository id ("owner/name") the failure concerns, or null when there is none. */
    readonly repoId: string | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The id is not a Hub repository id ("owner/name"). */
export class InvalidRepoIdError extends HubError {
  override name = 'InvalidRepoIdError';
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(null, `"${truncate(input, 120)}" is not a Hub model id: ${reason}. Use the form "owner/name", e.g. "Xenova/pythia-70m".`);
  }
}

/** The repository or the requested revision does not exist (or is private/gated). */
export class RepoNotFoundError extends HubError {
  override name = 'RepoNotFoundError';
  constructor(
    repoId: string,
    readonly revision: string,
    readonly status: number,
  ) {
    super(
      repoId,
      `${repoId}: the model host has no repository with this id at revision "${revision}" (HTTP ${status}). ` +
        'Check the spelling; private and gated repositories cannot be used.',
    );
  }
}

/** The model host answered with an error or could not be reached (after retries). */
export class HubUnavailableError extends HubError {
  override name = 'HubUnavailableError';
  constructor(repoId: string | null, what: string, detail: string, options?: { cause?: unknown }) {
    super(repoId, `${repoId ? `${repoId}: ` : ''}could not ${what}: ${detail}. Check the connection and try again.`, options);
  }
}

/** The repository exists but has no ONNX weights transformers.js can load. */
export class NoOnnxFilesError extends HubError {
  override name = 'NoOnnxFilesError';
  constructor(repoId: string, revision: string) {
    super(
      repoId,
      `${repoId}: no ONNX weights at revision ${revision.slice(0, 12)} (looked for onnx/model*.onnx). ` +
        'Pick an ONNX export of this model, e.g. from the onnx-community or Xenova organisations.',
    );
  }
}

/**
 * The repository holds only the legacy decoder_model*.onnx layout (Optimum's older export). transformers.js
 * could load it with model_file_name, but the lab runs only the standard onnx/model{suffix}.onnx layout.
 */
export class LegacyOnnxLayoutError extends HubError {
  override name = 'LegacyOnnxLayoutError';
  constructor(
    repoId: string,
    revision: string,
    readonly legacyFiles: readonly string[],
  ) {
    super(
      repoId,
      `${repoId}: at ${revision.slice(0, 12)} this repository has only the legacy ONNX layout (${legacyFiles.slice(0, 3).join(', ')}${legacyFiles.length > 3 ? ', …' : ''}), ` +
        'which the lab does not load: transformers.js looks for onnx/model.onnx (or model_q4.onnx, ...) and the lab only runs that standard layout. ' +
        'Choose an export made for transformers.js 3 or later (e.g. from onnx-community), or export the model again with Optimum.',
    );
  }
}

/** config.json names an architecture the lab's engine cannot run. */
export class UnsupportedArchitectureError extends HubError {
  override name = 'UnsupportedArchitectureError';
  constructor(
    repoId: string,
    readonly modelType: string,
  ) {
    super(
      repoId,
      `${repoId}: architecture "${modelType}" is not a causal language model the lab can run in transformers.js. ` +
        'Choose a decoder-only text model (GPT-2, Pythia/GPT-NeoX, Llama, Qwen2/3, SmolLM, ...).',
    );
  }
}

/** The requested dtype has no file in the repository. */
export class MissingDtypeError extends HubError {
  override name = 'MissingDtypeError';
  constructor(
    repoId: string,
    readonly dtype: string,
    readonly available: readonly string[],
  ) {
    super(
      repoId,
      `${repoId}: no ${dtype} weights in this repository` +
        (available.length ? `; available: ${available.join(', ')}. Choose one of those.` : ' and no other ONNX weights either.'),
    );
  }
}

export type DownloadFailure = 'http' | 'network' | 'stalled' | 'truncated' | 'length-mismatch' | 'hash-mismatch' | 'revision-mismatch' | 'changed' | 'cancelled';

/** A file could not be downloaded completely; it was not cached. */
export class DownloadError extends HubError {
  override name = 'DownloadError';
  constructor(
    repoId: string,
    readonly file: string,
    readonly reason: DownloadFailure,
    detail: string,
    options?: { cause?: unknown; attempts?: number },
  ) {
    const tries = options?.attempts && options.attempts > 1 ? ` after ${options.attempts} attempts` : '';
    const advice = reason === 'cancelled' ? '' : ' Nothing was cached; run the model again to retry the download.';
    super(repoId, `${repoId}: download of ${file} failed${tries}: ${detail}.${advice}`, options);
    this.attempts = options?.attempts ?? 1;
  }
  readonly attempts: number;
}

// ONNX Runtime's words for weights it cannot read: a protobuf that does not parse, a truncated or
// garbled external-data file, a graph whose tensors do not fit their declared shapes.
const CORRUPT_MODEL_PATTERN =
  /protobuf|parsing failed|failed to load model|load model from .* failed|invalid (onnx )?model|deserializ|corrupt|unexpected end|external (data|initializer)|tensor.*(size|offset|length)|ModelProto/i;

/** True when a load failure reads like unreadable model weights (not a missing file or lack of memory). */
export function looksLikeCorruptModel(err: unknown): boolean {
  for (const e of causeChain(err)) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    if (CORRUPT_MODEL_PATTERN.test(msg)) return true;
  }
  return false;
}

/** Cached weights that ONNX Runtime could not read; they were removed from the cache. */
export class CorruptCachedModelError extends HubError {
  override name = 'CorruptCachedModelError';
  /** The visitor can fix this by running the model again (it downloads afresh). */
  readonly downloadAgain = true;
  constructor(
    repoId: string,
    readonly files: readonly string[],
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      repoId,
      `${repoId}: the cached copy of ${files.join(', ')} could not be loaded as an ONNX model (${truncate(detail.replace(/\s+/g, ' '), 120)}), ` +
        'so it was removed from the cache. Run the model again to download it again.',
      { cause },
    );
  }
}

/** A download was attempted before the visitor agreed to it (see HubSession.grant). */
export class ConsentRequiredError extends HubError {
  override name = 'ConsentRequiredError';
  constructor(
    repoId: string,
    readonly file: string,
  ) {
    super(repoId, `${repoId}: ${file} would be downloaded, but this download was not approved. Plan the download and confirm it first.`);
  }
}

/** The GPU ran out of memory while loading or running the model. */
export class GpuOutOfMemoryError extends HubError {
  override name = 'GpuOutOfMemoryError';
  constructor(modelId: string, detail: string, options?: { cause?: unknown }) {
    super(
      modelId,
      `${modelId}: the GPU ran out of memory (${truncate(detail, 200)}). Try a smaller model, a 4-bit dtype (q4/q4f16), a smaller batch, or close other GPU-heavy tabs.`,
      options,
    );
  }
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function* causeChain(err: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e != null && !seen.has(e)) {
    seen.add(e);
    yield e;
    e = e instanceof Error ? (e as Error & { cause?: unknown }).cause : undefined;
  }
}

/** The first HubError in an error's cause chain (engine errors wrap the Hub's), or null. */
export function findHubError(err: unknown): HubError | null {
  for (const e of causeChain(err)) if (e instanceof HubError) return e;
  return null;
}

// ONNX Runtime (WebGPU, WASM, CPU) and browsers word allocation failures in many ways.
const OOM_PATTERN =
  /out of memory|\bOOM\b|failed to allocate|allocation failed|bad_alloc|Cannot allocate|memory allocation|exceeds the (max|maximum) buffer size|GPUOutOfMemoryError|Array buffer allocation failed|WebAssembly\.Memory\(\): could not allocate/i;

/** True when an error (or one it wraps) reads like an out-of-memory failure of the runtime. */
export function isOutOfMemory(err: unknown): boolean {
  for (const e of causeChain(err)) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    if (OOM_PATTERN.test(msg)) return true;
  }
  return false;
}

/**
 * The typed error to show for a model failure: the Hub error it wraps, a GpuOutOfMemoryError
 * when the runtime ran out of memory, otherwise the error itself.
 */
export function classifyModelError(err: unknown, modelId: string): Error {
  const hub = findHubError(err);
  if (hub) return hub;
  if (isOutOfMemory(err)) {
    const msg = err instanceof Error ? err.message : String(err);
    return new GpuOutOfMemoryError(modelId, msg, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

// ONNX Runtime Web states that outlive a failed session in its WASM instance, which nothing
// outside onnxruntime-web can reset: a WebGPU session whose creation threw after the device was
// registered ("another WebGPU EP inference session is being created"), an aborted or trapped
// WASM module, an asyncify stack left unwound.
const RUNTIME_POISONED_PATTERN =
  /another WebGPU EP inference session is being created|Aborted\(|RuntimeError: (unreachable|memory access out of bounds)|asyncify|WebAssembly\.(Instance|Module).*(failed|abort)|program has been aborted/i;

/**
 * True when a model's failure (an error or the message a rung recorded) means the runtime in
 * this worker is unusable for every later model: the page should restart the engine worker
 * before the next rung. A corrupt model file alone does not poison it (its session is released).
 */
export function runtimeNeedsRestart(err: unknown): boolean {
  if (typeof err === 'string') return RUNTIME_POISONED_PATTERN.test(err);
  for (const e of causeChain(err)) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    if (RUNTIME_POISONED_PATTERN.test(msg)) return true;
  }
  return false;
}
