/**
 * ModelBackend on transformers.js (ONNX Runtime: onnxruntime-node on CPU in Node,
 * onnxruntime-web with WebGPU or WASM in the browser). With head-session.ts (how sessions get
 * the scoring head) the only files that touch the runtime.
 */
import { AutoConfig, AutoModelForCausalLM, AutoTokenizer, Tensor, env } from '@huggingface/transformers';
import { findHubError, isOutOfMemory } from '../hub/errors.ts';
import type { ModelRef } from '../spec/schema.ts';
import type { KvCache, LogitsBatch, ModelBackend, StepInput, StepScores } from './backend.ts';
import { activationBytesOfConfig } from './batching.ts';
import { argmaxCheckedAt, logSoftmaxAt } from './logits.ts';
import { CancelledError, EngineError, ModelLoadError } from './errors.ts';
import { scoreChoiceItems } from './choices.ts';
import { scoreItems } from './scoring.ts';
import { DeviceScorer, type LogitsType, type OrtTensor, type OrtWebModule } from './device-scoring.ts';
import { errorText } from '../error-text.ts';
import { hideScoringHead, withScoringHead, type OrtSessionModule } from './head-session.ts';
import { HEAD_INPUT_INDEX, HEAD_INPUT_LOGITS_FROM, HEAD_INPUT_TARGET, HEAD_OUTPUT_ARGMAX, HEAD_OUTPUT_LOGPROB } from './scoring-head.ts';
import type { Engine, LoadOptions, LoadedModel, ModelInfo } from './types.ts';

export interface TransformersEngineConfig {
  /** Folder (Node) or URL (browser) holding bundled models as "<ladder>/<model>/". */
  localModelPath: string;
  /** Hub-compatible host for hub models, e.g. "https://huggingface.co/"; null disables downloads. */
  remoteHost?: string | null;
  /** Where the browser loads ONNX Runtime's WASM files from (served by the app, never a CDN). */
  wasmPaths?: { mjs: string; wasm: string };
  /** ONNX Runtime WASM threads (set before its first session; ORT's default uses half the cores). */
  wasmThreads?: number;
  /** Let transformers.js keep downloaded files in the browser cache. */
  useBrowserCache?: boolean;
  /**
   * Replaces transformers.js `env.fetch` for every file it requests (e.g. HubSession.fetch:
   * verified, resumable, consent-gated downloads). Default: the global fetch.
   */
  fetch?: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  /**
   * Installed as transformers.js `env.customCache` (with `env.useCustomCache`), checked before any
   * download and given each downloaded file (e.g. HubSession.cache). Takes precedence over
   * useBrowserCache. Default: none.
   */
  /**
   * External-data files (model*.onnx_data, _1, ...) of a Hub model's weights, as the download plan
   * found them in the repository's listing (e.g. HubSession.externalDataChunks). Passed to
   * transformers.js as use_external_data_format, which otherwise trusts config.json alone and
   * would hand ONNX Runtime a graph without its weights.
   */
  externalDataChunks?: (ref: ModelRef) => number | null;
  cache?: {
    match(request: string): Promise<Response | undefined>;
    put(request: string, response: Response, progress?: (p: { progress: number; loaded: number; total: number }) => void): Promise<void>;
  } | null;
  /**
   * The onnxruntime-web module transformers.js runs on (the worker passes
   * `import * as ort from 'onnxruntime-web/webgpu'`). With it, WebGPU models score on the device:
   * logits never leave the GPU, only per-position log-probs and argmax ids do (device-scoring.ts).
   * Without it (Node, onnxruntime-node) the logits of scored calls come to the CPU.
   */
  ort?: OrtWebModule | OrtSessionModule | null;
  /**
   * Reads a model file transformers.js hands ONNX Runtime by path (Node: `fs.readFile`), so the
   * scoring head can be added to it; without it such models load as they are.
   */
  readModelFile?: (path: string) => Promise<Uint8Array>;
  /**
   * Add the scoring head (scoring-head.ts) to each model's graph: the vocabulary projection then
   * runs only at scored positions and the runtime returns a log-prob and an argmax per position
   * instead of logits (on WebGPU too, with the log-softmax written out). Needs `ort`. Default true.
   */
  scoringHead?: boolean;
  /**
   * With the scoring head, also run the model's last position-wise ops (for GPT-2 the last block
   * after its attention and the final layer norm; scoring-head.ts findTail) at the scored
   * positions only. Default true; false keeps the head to the LM head (for measuring).
   */
  scoringHeadTail?: boolean;
  /**
   * Threads per operator for onnxruntime-node (device 'cpu'). Default: one thread for models under
   * SINGLE_THREAD_BELOW_PARAMS parameters, the runtime's default (one per core) above.
   */
  cpuThreads?: number;
  /**
   * Let onnxruntime-node's operator threads spin between the operators of a call (the runtime's
   * own default) rather than sleep. Default true: see CPU_THREADS_SPIN.
   */
  cpuSpinning?: boolean;
}

/**
 * Below this many parameters the engine runs onnxruntime-node on one thread per operator. An op
 * of a model this small is less work than handing it to the runtime's thread pool and waiting
 * for it. Measured on the 2-core VM with `npm run bench -- --threads 1|2` (docs/benchmarks.md,
 * alternating runs on a quiet machine): up to arith-l3-d64 (153K) one thread is as fast or
 * faster (arith-l1-d12: 13.2-13.5K items/s against 6.1-10.3K with two); from arith-l4-d96 (451K)
 * two threads win (arith-l4-d96 6.2-6.6K -> 7.8-8.8K items/s, arith-l4-d128 4.9-5.2K -> 6.7-6.8K).
 * The crossover lies between the two; larger models keep the runtime's default (one per core).
 */
export const SINGLE_THREAD_BELOW_PARAMS = 300_000;

/**
 * Whether operator threads spin between operators (ONNX Runtime's default) where a model runs on
 * more than one. They do, within a call, and stop spinning when it ends
 * (`session.force_spinning_stop`): a sleeping thread must be woken for every operator that runs
 * in parallel, which on a 2-core VM costs more than the operator (arith-l4-d128, 200 items, quiet
 * minutes, alternating `npm run bench` runs: spinning 10.7x-11.7x the naive loop, sleeping
 * 8.8x-9.3x), and an idle pool then keeps no core busy between calls, when JavaScript, the garbage
 * collector or other processes run. The trade-off, measured (docs/benchmarks.md): when the machine
 * is busy an operator waits for its slowest thread, and a descheduled spinning thread costs more
 * than a sleeping one (with one busy process beside it: spinning 54-59 ms, sleeping 41, one
 * thread 36; in noisy minutes the 4-layer rungs measured 6.7x-6.9x spinning against 7.2x-7.4x
 * sleeping). `cpuSpinning: false` makes them sleep.
 */
export const CPU_THREADS_SPIN = true;

/**
 * Parameters of a GPT-2-style decoder from its config: token and position embeddings (tied
 * output), per layer attention 4 d^2 + 4 d, MLP 2 d inner + inner + d, two LayerNorms 4 d, and the
 * final LayerNorm 2 d; null when the config lacks the sizes.
 */
export function estimateParams(cfg: Record<string, unknown>): number | null {
  const d = Number(cfg.n_embd ?? cfg.hidden_size ?? NaN);
  const layers = Number(cfg.n_layer ?? cfg.num_hidden_layers ?? NaN);
  const vocab = Number(cfg.vocab_size ?? NaN);
  const positions = Number(cfg.n_positions ?? 0);
  if (![d, layers, vocab].every((x) => Number.isFinite(x) && x > 0)) return null;
  const inner = Number(cfg.n_inner ?? cfg.intermediate_size ?? 4 * d);
  return vocab * d + (Number.isFinite(positions) ? positions * d : 0) + layers * (4 * d * d + 2 * d * inner + 9 * d + inner) + 2 * d;
}

// transformers.js's own fetch, restored for engines configured without one.
const DEFAULT_FETCH = env.fetch;

type HfModel = Awaited<ReturnType<typeof AutoModelForCausalLM.from_pretrained>>;
type HfTokenizer = Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
interface TensorLike {
  dims: number[];
  type: string;
  data: ArrayLike<number | bigint>;
  location?: string;
  dispose?: () => void;
  to?: (t: string) => TensorLike;
}

const REQUIRED_INPUTS = ['input_ids', 'attention_mask'];

/**
 * transformers.js 4.3.2 never checks that a local file exists when localModelPath is an http(s)
 * URL (get_file_metadata skips URL paths), so the tokenizer silently loads without its config.
 * A same-origin URL is therefore passed as its path ("/models/"), which fetch resolves as before.
 */
function localPathOf(path: string): string {
  const origin = typeof location === 'undefined' ? null : location.origin;
  if (origin && /^https?:\/\//.test(path) && new URL(path).origin === origin) return new URL(path).pathname;
  return path;
}

export function configureTransformers(config: TransformersEngineConfig): void {
  const localModelPath = localPathOf(config.localModelPath);
  env.localModelPath = localModelPath.endsWith('/') ? localModelPath : `${localModelPath}/`;
  env.allowLocalModels = true;
  env.allowRemoteModels = Boolean(config.remoteHost);
  if (config.remoteHost) env.remoteHost = config.remoteHost.endsWith('/') ? config.remoteHost : `${config.remoteHost}/`;
  env.useBrowserCache = config.useBrowserCache ?? false;
  // Load ONNX Runtime's WASM straight from wasmPaths: the cached-blob path would need a
  // `blob:` script source, which the production Content-Security-Policy does not allow.
  env.useWasmCache = false;
  const onnx = env.backends.onnx as { wasm?: { wasmPaths?: unknown; numThreads?: number } } | undefined;
  if (config.wasmPaths && onnx?.wasm) onnx.wasm.wasmPaths = { ...config.wasmPaths };
  if (config.wasmThreads && onnx?.wasm) onnx.wasm.numThreads = config.wasmThreads;
  env.fetch = (config.fetch ?? DEFAULT_FETCH) as typeof env.fetch;
  env.useCustomCache = Boolean(config.cache);
  env.customCache = (config.cache ?? null) as typeof env.customCache;
}

function int64Tensor(values: number[], dims: number[]): Tensor {
  return new Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

function disposeOutputs(out: Record<string, unknown>, keep: string): void {
  for (const [name, value] of Object.entries(out)) {
    if (name !== keep && value && typeof (value as TensorLike).dispose === 'function') (value as TensorLike).dispose!();
  }
}

async function logitsToFloat32(t: TensorLike): Promise<Float32Array> {
  const cpu = t.type === 'float32' ? t : t.to!('float32');
  if (cpu.location && cpu.location !== 'cpu') throw new EngineError('Logits were left on the GPU; expected them on the CPU.');
  return cpu.data instanceof Float32Array ? cpu.data : Float32Array.from(cpu.data as ArrayLike<number>);
}

/** The present.* outputs of a step, renamed as the next step's past_key_values.* inputs. */
/** The runtime's tensor inside a transformers.js Tensor (where it lives: CPU or GPU buffer). */
function ortTensorOf(t: Tensor): OrtTensor {
  return (t as unknown as { ort_tensor: OrtTensor }).ort_tensor;
}

class TransformersCache implements KvCache {
  readonly freedOnDispose: boolean;
  constructor(
    readonly tensors: Record<string, Tensor>,
    readonly rows: number,
    readonly length: number,
  ) {
    const all = Object.values(tensors);
    this.freedOnDispose = all.length > 0 && all.every((t) => ortTensorOf(t).location === 'gpu-buffer');
  }
}

/** A step's present.* outputs as the cache its next step reads (renamed past_key_values.*). */
function cacheOf(out: Record<string, unknown>, rows: number, length: number): TransformersCache {
  const tensors: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(out)) {
    if (name.startsWith('present')) tensors[name.replace('present', 'past_key_values')] = value as Tensor;
  }
  return new TransformersCache(tensors, rows, length);
}

/**
 * Argmax-only positions (target -1) were scored at token 0 on the device or in the head: their
 * log-prob becomes 0 when finite and NaN when not (the contract of StepInput.targets).
 */
function markArgmaxOnly(logprobs: Float32Array, targets: Int32Array): void {
  targets.forEach((t, k) => {
    if (t < 0) logprobs[k] = Number.isFinite(logprobs[k]) ? 0 : NaN;
  });
}

function int64From(values: ArrayLike<number>, dims: number[]): Tensor {
  const data = new BigInt64Array(values.length);
  // Ids, masks and positions fit in 32 bits: written as two's-complement word pairs (little
  // endian, as typed arrays are on every platform ONNX Runtime runs on) instead of one BigInt per
  // element, which was a measurable share of a small model's step.
  const words = new Int32Array(data.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === (v | 0)) {
      words[2 * i] = v;
      words[2 * i + 1] = v < 0 ? -1 : 0;
    } else data[i] = BigInt(v);
  }
  return new Tensor('int64', data, dims);
}

/** The typed array behind a cache tensor, downloaded first when it lives on the GPU. */
async function tensorData(t: Tensor): Promise<ArrayLike<number> & { length: number }> {
  const ort = (t as unknown as { ort_tensor: { location?: string; getData?: (release?: boolean) => Promise<unknown> } }).ort_tensor;
  if (ort.location && ort.location !== 'cpu' && ort.getData) return (await ort.getData()) as Float32Array;
  return t.data as unknown as Float32Array;
}

export class TransformersBackend implements ModelBackend {
  readonly vocabSize: number;
  readonly eosTokenIds: number[];
  readonly padTokenId: number;
  readonly maxSequenceLength: number | null;

  /** Width of the logits output (the graph's fixed last dim, else the config's vocabulary). */
  private readonly logitsVocab: number;
  private readonly logitsType: LogitsType;
  private readonly hasLogitsToKeep: boolean;

  /** `scorer`: scores on the GPU where the logits are (WebGPU with the runtime's module; device-scoring.ts). */
  constructor(
    private readonly model: HfModel,
    private readonly tokenizer: HfTokenizer,
    private scorer: DeviceScorer | null = null,
  ) {
    this.ownedScorer = scorer;
    const cfg = model.config as unknown as Record<string, unknown>;
    this.vocabSize = Number(cfg.vocab_size);
    const eos = (model.generation_config as unknown as Record<string, unknown> | null)?.eos_token_id ?? cfg.eos_token_id ?? tokenizer.eos_token_id;
    this.eosTokenIds = (Array.isArray(eos) ? eos : eos == null ? [] : [eos]).map(Number);
    const pad = cfg.pad_token_id ?? tokenizer.pad_token_id ?? this.eosTokenIds[0] ?? 0;
    this.padTokenId = Number(pad);
    // Learned absolute positions cap the length (GPT-2: n_positions); rotary models report a large max.
    const maxLen = cfg.n_positions ?? cfg.max_position_embeddings;
    this.maxSequenceLength = typeof maxLen === 'number' && maxLen > 0 ? maxLen : null;
    this.kvBytesPerToken = kvBytesPerTokenOf(cfg, this.session().inputMetadata);
    this.activationBytes = activationBytesOfConfig(cfg);
    const logitsMeta = (this.session() as unknown as { outputMetadata?: { name: string; type?: string; shape?: unknown[] }[] }).outputMetadata?.find((m) => m.name === 'logits');
    this.logitsType = logitsMeta?.type === 'float16' ? 'float16' : 'float32';
    const lastDim = logitsMeta?.shape?.[2];
    this.logitsVocab = typeof lastDim === 'number' && lastDim > 0 ? lastDim : this.vocabSize;
    this.hasLogitsToKeep = this.session().inputNames.includes('num_logits_to_keep');
    const outputs = (this.session() as unknown as { outputNames: string[] }).outputNames;
    this.hasHead = this.session().inputNames.includes(HEAD_INPUT_INDEX) && outputs.includes(HEAD_OUTPUT_LOGPROB) && outputs.includes(HEAD_OUTPUT_ARGMAX);
    if (this.hasHead) hideScoringHead(model);
  }

  /** Whether the model's graph has the scoring head (scoring-head.ts); its inputs are then required. */
  private readonly hasHead: boolean;

  /**
   * Cleared when a step through the head fails other than out of memory and the same step works
   * without it (the logits path takes over from then on); see withoutHead.
   */
  private headWorks = true;

  /**
   * Checks the scoring head against the model's own logits on a small probe (2 rows x 4 tokens):
   * the head runs ops copied from the graph (scoring-head.ts findTail), so a graph that breaks an
   * assumption of the copy (an activation that is not [batch, columns, ...]) must not give wrong
   * numbers. Log-probs of the logits' argmaxes must agree within `tolerance`; otherwise, or when
   * the head fails, the head is given up (with a warning) and scoring reads the logits.
   */
  async checkScoringHead(): Promise<void> {
    if (!this.projectsScoredOnly) return;
    const rows = 2;
    const columns = 4;
    const ids = Int32Array.from({ length: rows * columns }, (_, k) => (7 * k + 3) % this.vocabSize);
    const mask = new Uint8Array(rows * columns).fill(1);
    // The second row is one token shorter (right padding), as in the engine's calls.
    ids[rows * columns - 1] = this.padTokenId;
    mask[rows * columns - 1] = 0;
    const positions = Int32Array.from([0, 1, 2, 3, 4, 5, 6]);
    const probe = (targets: Int32Array): StepInput => ({ ids, mask, rows, columns, past: null, positions, targets });
    let reference: StepScores;
    try {
      reference = await this.stepReadingLogits(probe(new Int32Array(positions.length).fill(-1)));
      this.disposeCache(reference.cache);
      const targets = Int32Array.from(reference.argmax);
      reference = await this.stepReadingLogits(probe(targets));
      this.disposeCache(reference.cache);
    } catch {
      return; // The model itself cannot run the probe: scoring will say why.
    }
    const tolerance = this.logitsType === 'float16' ? 2e-2 : 1e-3;
    let problem: string | null = null;
    try {
      const head = await this.stepWithHead(probe(Int32Array.from(reference.argmax)));
      this.disposeCache(head.cache);
      const worst = Math.max(...head.logprobs.map((lp, k) => Math.abs(lp - reference.logprobs[k])));
      if (!(worst <= tolerance)) problem = `its log-probs differ from the model's logits by ${worst}`;
    } catch (err) {
      if (isOutOfMemory(err)) return;
      problem = `it failed (${errorText(err)})`;
    }
    if (problem) {
      this.headWorks = false;
      console.warn(`The scoring head was given up: on a probe ${problem}; scoring reads the model's logits instead.`);
    }
  }

  /** Whether steps score through the scoring head. */
  get projectsScoredOnly(): boolean {
    return this.hasHead && this.headWorks;
  }

  /**
   * The head's inputs for a step: its scored positions, or none (one dummy position, not read);
   * the model's own logits only when the step reads them (else they cover no column: the head
   * rewires the model's LM head, scoring-head.ts).
   */
  private headFeeds(positions: Int32Array, targets: Int32Array, modelLogits: boolean): Record<string, Tensor> {
    if (!this.hasHead) return {};
    return {
      [HEAD_INPUT_INDEX]: int64From(positions.length ? positions : [0], [Math.max(1, positions.length)]),
      [HEAD_INPUT_TARGET]: int64From(targets.length ? targets : [0], [Math.max(1, targets.length)]),
      // After a failure through the head, the model's own LM head runs as exported (every column).
      [HEAD_INPUT_LOGITS_FROM]: int64From([modelLogits || !this.headWorks ? 0 : 2 ** 62], [1]),
    };
  }

  /** The scorer to release at dispose, also after a failure stopped its use. */
  private readonly ownedScorer: DeviceScorer | null;

  /** Whether key/value rows are gathered on the GPU (cleared after a failure there). */
  private gatherOnDevice = true;
  /** Whether pooled decoding may join caches on the GPU (false after a failure other than out of memory). */
  private joinCachesOnDevice = true;

  /** Whether scored calls reduce their logits on the GPU (only log-probs and argmax ids come back). */
  get scoresOnDevice(): boolean {
    return this.scorer !== null;
  }

  readonly kvBytesPerToken: number;
  readonly activationBytes: { perColumn: number; perPair: number } | undefined;

  private session(): { inputNames: string[]; inputMetadata?: { name: string; type?: string; shape?: unknown[] }[] } {
    return (this.model as unknown as { sessions: Record<string, { inputNames: string[] }> }).sessions.model;
  }

  /**
   * One forward through the model's ONNX session, called directly (not through transformers.js's
   * forward) so that a call whose logits are not needed does not fetch them: the runtime then
   * frees them inside instead of handing rows x columns x vocab floats to JavaScript. Inputs are
   * built as transformers.js builds them: position ids = cumsum(mask) - 1 (1 on padding), empty
   * past tensors on the first call.
   */
  private async runSession(input: StepInput, fetchLogits: boolean | { into: unknown } | 'head'): Promise<Record<string, unknown>> {
    const session = this.session() as unknown as {
      inputNames: string[];
      outputNames: string[];
      inputMetadata?: { name: string; type?: string; shape?: unknown[] }[];
      run(feeds: Record<string, unknown>, fetches?: string[]): Promise<Record<string, unknown>>;
    };
    const { rows, columns } = input;
    const past = input.past as TransformersCache | null;
    const total = (past?.length ?? 0) + columns;
    const feeds: Record<string, Tensor> = {
      input_ids: int64From(input.ids, [rows, columns]),
      attention_mask: int64From(input.mask, [rows, total]),
      // Argmax-only positions (target -1) are scored at token 0 (read back as 0 or NaN).
      ...(fetchLogits === 'head'
        ? this.headFeeds(input.positions, input.targets.map((t) => Math.max(t, 0)), false)
        : this.headFeeds(new Int32Array(0), new Int32Array(0), fetchLogits !== false)),
    };
    for (const name of session.inputNames) {
      if (name in feeds) continue;
      if (name === 'position_ids') {
        const pos = new Int32Array(rows * columns);
        for (let r = 0; r < rows; r++) {
          let c = 0;
          for (let j = 0; j < total; j++) {
            const on = input.mask[r * total + j];
            c += on;
            if (j >= total - columns) pos[r * columns + j - (total - columns)] = on ? c - 1 : 1;
          }
        }
        feeds[name] = int64From(pos, [rows, columns]);
      } else if (name.startsWith('past_key_values')) {
        if (past) feeds[name] = past.tensors[name];
        else {
          const meta = session.inputMetadata?.find((m) => m.name === name);
          const dims = (meta?.shape ?? []).map((d, i) => (typeof d === 'number' ? d : i === 0 ? rows : 0));
          if (dims.length !== 4 || dims[1] === 0 || dims[3] === 0) throw new EngineError(`Cannot size the empty cache input ${name} from the graph (${JSON.stringify(meta?.shape)}).`);
          feeds[name] = meta?.type === 'float16' ? new Tensor('float16', new Uint16Array(0), dims) : new Tensor('float32', new Float32Array(0), dims);
        }
      } else if (name === 'num_logits_to_keep') feeds[name] = new Tensor('int64', [input.lastOnly && !this.hasHead ? 1n : 0n], []);
      else if (name === 'use_cache_branch') feeds[name] = new Tensor('bool', [past !== null], [1]);
      else throw new EngineError(`The model's graph has an input the engine does not know how to fill: ${name}.`);
    }
    const ort = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, (v as unknown as { ort_tensor: unknown }).ort_tensor]));
    // Logits written into a given GPU tensor: fetches as an object, the other outputs where the
    // session's preferred locations put them (null = let the runtime allocate).
    const head = [HEAD_OUTPUT_LOGPROB, HEAD_OUTPUT_ARGMAX];
    const fetches =
      typeof fetchLogits === 'object'
        ? Object.fromEntries(session.outputNames.filter((n) => !head.includes(n)).map((n) => [n, n === 'logits' ? fetchLogits.into : null]))
        : fetchLogits === 'head'
          ? session.outputNames.filter((n) => n !== 'logits')
          : session.outputNames.filter((n) => (fetchLogits || n !== 'logits') && !head.includes(n));
    const out = await session.run(ort, fetches as string[]);
    const Wrap = Tensor as unknown as new (ortTensor: unknown) => Tensor;
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, new Wrap(v)]));
  }

  /**
   * runSession for calls outside the head (no scored positions, or the head given up): with the
   * head in the graph such a call still runs the rewired LM head on no column, which a provider
   * might refuse (an empty matmul). Then the call is run again with the model's LM head on every
   * column, as exported, and if that works the head is given up as in step().
   */
  private async runGuarded(input: StepInput, fetchLogits: boolean | { into: unknown }): Promise<Record<string, unknown>> {
    try {
      return await this.runSession(input, fetchLogits);
    } catch (err) {
      if (!this.hasHead || !this.headWorks || isOutOfMemory(err)) throw err;
      const out = await this.withoutHead(() => this.runSession(input, fetchLogits));
      console.warn(`A step with the scoring head in the graph failed (${errorText(err)}); running the model as exported instead.`);
      return out;
    }
  }

  /**
   * `run` with the head given up; when it fails too, the failure was not the head's (a bad input,
   * a model that cannot run this step at all), so the head is kept and that error thrown.
   */
  private async withoutHead<T>(run: () => Promise<T>): Promise<T> {
    this.headWorks = false;
    try {
      return await run();
    } catch (err) {
      this.headWorks = true;
      throw err;
    }
  }

  async step(input: StepInput): Promise<StepScores> {
    if (this.projectsScoredOnly && input.positions.length > 0) {
      try {
        return await this.stepWithHead(input);
      } catch (err) {
        // As for the device scorer below: out of memory is the planner's; anything else that the
        // model without the head does not also fail means this runtime cannot run the head's nodes
        // (e.g. a provider without a kernel for them). Say so once and read the model's own logits
        // from now on.
        if (isOutOfMemory(err)) throw err;
        const out = await this.withoutHead(() => this.stepReadingLogits(input));
        console.warn(`Scoring through the scoring head failed (${errorText(err)}); reading the model's logits instead.`);
        return out;
      }
    }
    return this.stepReadingLogits(input);
  }

  /** A step without the head: on the GPU's scorer where there is one, else logits read in JavaScript. */
  private async stepReadingLogits(input: StepInput): Promise<StepScores> {
    if (this.scorer && input.positions.length > 0) {
      try {
        return await this.stepOnDevice(input, this.scorer);
      } catch (err) {
        // Out of memory is the planner's to handle (it retries with a smaller budget); anything
        // else means this runtime cannot score on the device: say so once, score on the CPU.
        if (isOutOfMemory(err)) throw err;
        console.warn(`Scoring on the GPU failed (${errorText(err)}); reading logits back to the CPU instead.`);
        this.scorer = null;
      }
    }
    const { rows, columns } = input;
    const pastLength = input.past?.length ?? 0;
    const out = await this.runGuarded(input, input.positions.length > 0);
    const logits = out.logits as TensorLike | undefined;
    const cache = cacheOf(out, rows, pastLength + columns);
    try {
      const K = input.positions.length;
      if (K === 0 || !logits) return { logprobs: new Float32Array(0), argmax: new Int32Array(0), cache };
      // With num_logits_to_keep the graph returns only the last `kept` columns.
      const kept = logits.dims[1];
      // Measured on onnxruntime-node: one JavaScript pass over the picked rows beats a scoring graph
      // in the runtime, which copies the whole logits tensor in (docs/benchmarks.md).
      const data = await logitsToFloat32(logits);
      const [, , vocab] = logits.dims;
      const logprobs = new Float32Array(K);
      const argmax = new Int32Array(K);
      for (let k = 0; k < K; k++) {
        const p = input.positions[k];
        const offset = (Math.floor(p / columns) * kept + (p % columns) - (columns - kept)) * vocab;
        const target = input.targets[k];
        const r = target < 0 ? argmaxCheckedAt(data, offset, vocab) : logSoftmaxAt(data, offset, vocab, target);
        logprobs[k] = r.logprob;
        argmax[k] = r.argmax;
      }
      return { logprobs, argmax, cache };
    } catch (err) {
      this.disposeCache(cache);
      throw err;
    } finally {
      logits?.dispose?.();
    }
  }

  /** One step through the scoring head: the runtime returns a log-prob and an argmax per scored position. */
  private async stepWithHead(input: StepInput): Promise<StepScores> {
    const out = await this.runSession(input, 'head');
    const cache = cacheOf(out, input.rows, (input.past?.length ?? 0) + input.columns);
    const lp = out[HEAD_OUTPUT_LOGPROB] as TensorLike;
    const am = out[HEAD_OUTPUT_ARGMAX] as TensorLike;
    try {
      const K = input.positions.length;
      if (lp.data.length !== K || am.data.length !== K) throw new EngineError(`The scoring head returned ${lp.data.length} scores for ${K} positions.`);
      const logprobs = Float32Array.from(lp.data as Float32Array);
      const argmax = Int32Array.from(am.data as BigInt64Array, Number);
      markArgmaxOnly(logprobs, input.targets);
      return { logprobs, argmax, cache };
    } catch (err) {
      this.disposeCache(cache);
      throw err;
    } finally {
      lp.dispose?.();
      am.dispose?.();
    }
  }

  /**
   * One step with the logits written into a GPU buffer and reduced there (device-scoring.ts): the
   * CPU receives a log-prob and an argmax id per scored position.
   */
  private async stepOnDevice(input: StepInput, scorer: DeviceScorer): Promise<StepScores> {
    const { rows, columns } = input;
    const kept = input.lastOnly && this.hasLogitsToKeep ? 1 : columns;
    const logits = scorer.logitsOutput([rows, kept, this.logitsVocab], this.logitsType);
    const out = await this.runGuarded(input, { into: logits });
    const cache = cacheOf(out, rows, (input.past?.length ?? 0) + columns);
    try {
      const K = input.positions.length;
      const rowColumn = new Int32Array(2 * K);
      for (let k = 0; k < K; k++) {
        const p = input.positions[k];
        rowColumn[2 * k] = Math.floor(p / columns);
        rowColumn[2 * k + 1] = (p % columns) - (columns - kept);
      }
      // Argmax-only positions (target -1) are scored at token 0; their log-prob only says whether the logits are finite.
      const { logprobs, argmax } = await scorer.score(logits, rowColumn, input.targets.map((t) => Math.max(t, 0)), this.logitsType);
      markArgmaxOnly(logprobs, input.targets);
      return { logprobs, argmax, cache };
    } catch (err) {
      this.disposeCache(cache);
      throw err;
    }
  }

  async selectRows(cache: KvCache, rows: number[]): Promise<KvCache> {
    const src = cache as TransformersCache;
    const tensors: Record<string, Tensor> = {};
    const Wrap = Tensor as unknown as new (ortTensor: unknown) => Tensor;
    for (const [name, t] of Object.entries(src.tensors)) {
      for (const row of rows) if (row < 0 || row >= t.dims[0]) throw new EngineError(`Cache row ${row} is out of range (${t.dims[0]} rows).`);
      const ort = ortTensorOf(t);
      if (this.scorer && this.gatherOnDevice && ort.location === 'gpu-buffer') {
        // The cache stays on the GPU: gather its rows there instead of a round trip through the CPU.
        try {
          tensors[name] = new Wrap(await this.scorer.gatherRows(ort, rows));
          continue;
        } catch (err) {
          if (isOutOfMemory(err)) {
            for (const done of Object.values(tensors)) done.dispose();
            throw err;
          }
          // As in step(): say so once and take the CPU round trip from now on.
          console.warn(`Selecting cache rows on the GPU failed (${errorText(err)}); copying them through the CPU instead.`);
          this.gatherOnDevice = false;
        }
      }
      const [, ...rest] = t.dims;
      const per = rest.reduce((x, y) => x * y, 1);
      const data = await tensorData(t);
      const Ctor = (data as unknown as { constructor: new (n: number) => Float32Array }).constructor;
      const out = new Ctor(rows.length * per);
      rows.forEach((row, i) => {
        out.set((data as Float32Array).subarray(row * per, (row + 1) * per), i * per);
      });
      tensors[name] = new Tensor(t.type as 'float32', out, [rows.length, ...rest]);
    }
    return new TransformersCache(tensors, rows.length, src.length);
  }

  async joinCaches(caches: KvCache[], length: number): Promise<KvCache | null> {
    const srcs = caches as TransformersCache[];
    const names = Object.keys(srcs[0].tensors);
    const where = ortTensorOf(srcs[0].tensors[names[0]]).location;
    // Tensors are [rows, heads, columns, head size] (as the empty cache is built in runSession).
    const joinable = srcs.every(
      (c) =>
        c.length <= length &&
        Object.keys(c.tensors).length === names.length &&
        names.every((n) => {
          const t = c.tensors[n];
          const like = srcs[0].tensors[n];
          if (t === undefined || ortTensorOf(t).location !== where) return false;
          return t.type === like.type && t.dims.length === 4 && t.dims[2] === c.length && t.dims[1] === like.dims[1] && t.dims[3] === like.dims[3];
        }),
    );
    if (!joinable) return null;
    if (where === 'gpu-buffer') return this.joinOnDevice(srcs, names, length);
    if (where !== 'cpu') return null;
    const rows = srcs.reduce((s, c) => s + c.rows, 0);
    const tensors: Record<string, Tensor> = {};
    for (const name of names) {
      const [, heads, , size] = srcs[0].tensors[name].dims;
      const first = srcs[0].tensors[name].data as Float32Array;
      const Ctor = (first as unknown as { constructor: new (n: number) => Float32Array }).constructor;
      const out = new Ctor(rows * heads * length * size);
      let row0 = 0;
      for (const c of srcs) {
        const data = c.tensors[name].data as Float32Array;
        const block = c.length * size;
        for (let rh = 0; rh < c.rows * heads; rh++) out.set(data.subarray(rh * block, (rh + 1) * block), (row0 * heads + rh) * length * size);
        row0 += c.rows;
      }
      tensors[name] = new Tensor(srcs[0].tensors[name].type as 'float32', out, [rows, heads, length, size]);
    }
    return new TransformersCache(tensors, rows, length);
  }

  /**
   * joinCaches for caches on the GPU: padded and concatenated there (DeviceScorer.joinCaches),
   * never through the CPU. Null (the caller decodes each cache alone, as before) out of memory,
   * or where the device cannot (then said once, and not tried again for this model).
   */
  private async joinOnDevice(srcs: TransformersCache[], names: string[], length: number): Promise<KvCache | null> {
    if (!this.scorer || !this.joinCachesOnDevice) return null;
    try {
      const joined = await this.scorer.joinCaches(
        srcs.map((c) => names.map((n) => ortTensorOf(c.tensors[n]))),
        length,
      );
      const Wrap = Tensor as unknown as new (ortTensor: unknown) => Tensor;
      const tensors: Record<string, Tensor> = {};
      names.forEach((n, t) => (tensors[n] = new Wrap(joined[t])));
      return new TransformersCache(tensors, srcs.reduce((s, c) => s + c.rows, 0), length);
    } catch (err) {
      if (!isOutOfMemory(err)) {
        console.warn(`Joining key/value caches on the GPU failed (${errorText(err)}); each batch's greedy decoding runs alone instead.`);
        this.joinCachesOnDevice = false;
      }
      return null;
    }
  }

  disposeCache(cache: KvCache): void {
    for (const t of Object.values((cache as TransformersCache).tensors)) t.dispose();
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false });
  }

  /** Text of single tokens: greedy decoding and output trimming ask for each new token's text. */
  private readonly pieces = new Map<number, string>();

  decode(ids: number[]): string {
    // transformers.js throws on an empty list; an output cut before its first token is empty text.
    if (ids.length === 0) return '';
    if (ids.length === 1) {
      let piece = this.pieces.get(ids[0]);
      if (piece === undefined) {
        piece = this.tokenizer.decode(ids, { skip_special_tokens: true });
        this.pieces.set(ids[0], piece);
      }
      return piece;
    }
    return this.tokenizer.decode(ids, { skip_special_tokens: true });
  }

  async forward(rows: number[][]): Promise<LogitsBatch> {
    const length = Math.max(...rows.map((r) => r.length));
    const ids: number[] = [];
    const mask: number[] = [];
    for (const r of rows) {
      ids.push(...r, ...new Array(length - r.length).fill(this.padTokenId));
      mask.push(...r.map(() => 1), ...new Array(length - r.length).fill(0));
    }
    const call = this.model as unknown as (inputs: Record<string, Tensor>) => Promise<Record<string, unknown>>;
    const out = await call({ input_ids: int64Tensor(ids, [rows.length, length]), attention_mask: int64Tensor(mask, [rows.length, length]) });
    // present.* stay on the GPU under WebGPU: dispose them or memory grows with every batch.
    disposeOutputs(out, 'logits');
    const logits = out.logits as TensorLike;
    const data = await logitsToFloat32(logits);
    logits.dispose?.();
    const [r, l, v] = logits.dims;
    return { data, rows: r, length: l, vocab: v };
  }

  async generateGreedy(prompts: number[][], maxNewTokens: number): Promise<number[][]> {
    const length = Math.max(...prompts.map((p) => p.length));
    const ids: number[] = [];
    const mask: number[] = [];
    for (const p of prompts) {
      // Left padding so every row's next token comes from the last column.
      ids.push(...new Array(length - p.length).fill(this.padTokenId), ...p);
      mask.push(...new Array(length - p.length).fill(0), ...p.map(() => 1));
    }
    const out = (await this.model.generate({
      input_ids: int64Tensor(ids, [prompts.length, length]),
      attention_mask: int64Tensor(mask, [prompts.length, length]),
      max_new_tokens: maxNewTokens,
      do_sample: false,
      num_beams: 1,
      repetition_penalty: 1.0,
      no_repeat_ngram_size: 0,
      pad_token_id: this.padTokenId,
    } as Parameters<HfModel['generate']>[0])) as unknown as TensorLike;
    const [rows, total] = out.dims;
    const flat = Array.from(out.data as ArrayLike<number | bigint>, Number);
    out.dispose?.();
    return Array.from({ length: rows }, (_, r) => flat.slice(r * total + length, (r + 1) * total));
  }

  async dispose(): Promise<void> {
    await this.ownedScorer?.dispose();
    await this.model.dispose();
  }
}

/** Bytes of key/value cache per token per row, from the graph's past inputs (fixed head and size dims) or the config. */
function kvBytesPerTokenOf(cfg: Record<string, unknown>, meta: { name: string; type?: string; shape?: unknown[] }[] | undefined): number {
  const past = (meta ?? []).filter((m) => m.name.startsWith('past_key_values'));
  let total = 0;
  for (const m of past) {
    const fixed = (m.shape ?? []).filter((d): d is number => typeof d === 'number');
    // [batch, heads, past_len, head_dim]: the two fixed dims are heads and head_dim.
    if (fixed.length !== 2) return 0;
    total += fixed[0] * fixed[1] * (m.type === 'float16' ? 2 : 4);
  }
  if (total > 0) return total;
  const layers = Number(cfg.n_layer ?? cfg.num_hidden_layers ?? 0);
  const hidden = Number(cfg.n_embd ?? cfg.hidden_size ?? 0);
  const heads = Number(cfg.n_head ?? cfg.num_attention_heads ?? 1);
  const kvHeads = Number(cfg.num_key_value_heads ?? heads);
  return layers * 2 * hidden * (kvHeads / heads) * 4;
}

function describeLoadFailure(err: unknown, modelId: string): string {
  // Hub errors already name the model and say what to do.
  const hub = findHubError(err);
  if (hub) return hub.message.startsWith(`${modelId}: `) ? hub.message.slice(modelId.length + 2) : hub.message;
  const msg = errorText(err);
  if (isOutOfMemory(err)) return `the GPU ran out of memory (${msg}). Try a smaller model or a 4-bit dtype (q4/q4f16).`;
  if (/could not locate file|404|not found|ENOENT/i.test(msg)) return `a model file is missing (${msg}). Check that the folder or repository has config.json, tokenizer.json, tokenizer_config.json and onnx/model*.onnx for the chosen dtype.`;
  if (/unsupported model type|Unknown model class/i.test(msg)) return `its architecture is not supported by transformers.js (${msg}).`;
  return msg;
}

export function createTransformersEngine(config: TransformersEngineConfig): Engine {
  configureTransformers(config);
  return {
    async load(ref: ModelRef, options: LoadOptions = {}): Promise<LoadedModel> {
      if (options.signal?.aborted) throw new CancelledError();
      // Re-apply this engine's settings (env is global to transformers.js; another engine may have
      // changed it), and never look for a Hub model among the app's bundled files.
      configureTransformers(config);
      env.allowLocalModels = ref.source === 'bundled';
      const common = {
        local_files_only: ref.source === 'bundled',
        revision: ref.source === 'hub' && ref.revision ? ref.revision : 'main',
        progress_callback: (p: { status?: string; file?: string; loaded?: number; total?: number }) => {
          if (p.status === 'progress' && p.file) options.onProgress?.({ modelId: ref.id, file: p.file, loaded: p.loaded ?? 0, total: p.total ?? 0 });
        },
      };
      let tokenizer: HfTokenizer;
      let model: HfModel;
      try {
        tokenizer = await AutoTokenizer.from_pretrained(ref.id, common);
        const chunks = ref.source === 'hub' ? (config.externalDataChunks?.(ref) ?? null) : null;
        // onnxruntime-node only (device 'cpu'): threads per operator by model size (see SINGLE_THREAD_BELOW_PARAMS).
        let cpu: { config: Awaited<ReturnType<typeof AutoConfig.from_pretrained>>; session_options: { intraOpNumThreads?: number; extra?: Record<string, unknown> } } | null = null;
        if (ref.device === 'cpu') {
          const modelConfig = await AutoConfig.from_pretrained(ref.id, common);
          const params = estimateParams(modelConfig as unknown as Record<string, unknown>);
          const threads = config.cpuThreads ?? (params !== null && params < SINGLE_THREAD_BELOW_PARAMS ? 1 : undefined);
          const spin = config.cpuSpinning ?? CPU_THREADS_SPIN;
          cpu = {
            config: modelConfig,
            session_options: {
              ...(threads ? { intraOpNumThreads: threads } : {}),
              // onnxruntime-node's session config entries session.intra_op.allow_spinning and session.force_spinning_stop.
              ...(threads !== 1 ? { extra: { session: spin ? { force_spinning_stop: '1' } : { intra_op: { allow_spinning: '0' } } } } : {}),
            },
          };
        }
        const loadModel = () =>
          AutoModelForCausalLM.from_pretrained(ref.id, {
            ...common,
            device: ref.device,
            dtype: ref.dtype,
            ...(cpu ?? {}),
            ...(chunks ? { use_external_data_format: chunks } : {}),
          });
        // WebGPU's provider has no LogSoftmax kernel: its head writes the log-softmax out.
        const head = config.scoringHead !== false && config.ort;
        model = head ? await withScoringHead(config.ort!, config.readModelFile, loadModel, { logSoftmax: ref.device === 'webgpu' ? 'ops' : 'kernel', tail: config.scoringHeadTail !== false }) : await loadModel();
      } catch (err) {
        throw new ModelLoadError(ref.id, `could not be loaded: ${describeLoadFailure(err, ref.id)}`, { cause: err });
      }
      const session = (model as unknown as { sessions?: Record<string, { inputNames: string[]; outputNames: string[] }> }).sessions?.model;
      const missing = REQUIRED_INPUTS.filter((n) => !session?.inputNames.includes(n));
      if (!session || missing.length > 0 || !session.outputNames.includes('logits')) {
        await model.dispose();
        throw new ModelLoadError(
          ref.id,
          `its ONNX graph is not a causal language model the lab can score: it needs inputs ${REQUIRED_INPUTS.join(', ')} and output logits` +
            (missing.length ? ` (missing: ${missing.join(', ')})` : '') + '.',
        );
      }
      let scorer: DeviceScorer | null = null;
      // onnxruntime-web's module (the browser's) has the WebGPU env and GPU tensors the scorer needs.
      if (ref.device === 'webgpu' && config.ort && 'env' in config.ort) {
        try {
          scorer = await DeviceScorer.create(config.ort as OrtWebModule);
        } catch (err) {
          // The engine still works, reading logits back to the CPU; say why it does.
          console.warn(`Scoring on the GPU is unavailable (${errorText(err)}); logits will be read back to the CPU.`);
        }
      }
      const backend = new TransformersBackend(model, tokenizer, scorer);
      await backend.checkScoringHead();
      const cfg = model.config as unknown as Record<string, unknown>;
      const info: ModelInfo = {
        id: ref.id,
        params: null,
        dtype: ref.dtype,
        device: ref.device,
        vocabSize: backend.vocabSize,
        eosTokenIds: backend.eosTokenIds,
        modelType: String(cfg.model_type ?? 'unknown'),
        scoresOnDevice: backend.scoresOnDevice,
        scoringHead: backend.projectsScoredOnly,
      };
      return {
        info,
        score: (items, scoreOptions) => scoreItems(backend, items, scoreOptions, ref.id),
        scoreChoices: (items, choiceOptions) => scoreChoiceItems(backend, items, choiceOptions, ref.id),
        dispose: () => backend.dispose(),
      };
    },
  };
}
