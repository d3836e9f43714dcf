/**
 * Scoring where the logits are, on WebGPU: the model's session writes its logits into a GPU
 * buffer the engine allocated (onnxruntime-web IO binding), a second session on the same device
 * (device-graphs.ts) gathers the scored positions, takes log-softmax and argmax there, and only
 * [picks] log-probs and argmax ids come back to the CPU. Key/value caches stay on the GPU too:
 * repeating or selecting their rows (choices, greedy decoding) is a Gather on the device.
 *
 * Why the runtime's own module is passed in: transformers.js 4.3.2 builds its tensors with
 * onnxruntime-common 1.30, while the onnxruntime-web 1.31 it runs carries its own copy of that
 * package, and InferenceSession.run recognises a pre-allocated output only by `instanceof` its
 * own Tensor class. A GPU tensor made with transformers.js's class is silently taken for run
 * options: the model then returns its logits to the CPU and the buffer stays unwritten (what the
 * 2026-11-29 attempt saw, every argmax 0). Tensors made with the runtime module's class work.
 */
import { DataType } from './onnx-writer.ts';
import { cacheJoinGraph, rowGatherGraph, scoringGraph } from './device-graphs.ts';

/** An onnxruntime-web tensor, as much of it as the engine touches. */
export interface OrtTensor {
  readonly dims: readonly number[];
  readonly type: string;
  readonly location: string;
  readonly data: unknown;
  dispose(): void;
}

interface OrtSession {
  run(feeds: Record<string, unknown>, fetches?: string[] | Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

/**
 * The parts of an onnxruntime-web module (the one whose InferenceSession runs the model, e.g.
 * `import * as ort from 'onnxruntime-web/webgpu'`) the device scorer uses.
 */
export interface OrtWebModule {
  Tensor: {
    new (type: 'int64', data: BigInt64Array, dims: readonly number[]): unknown;
    fromGpuBuffer(buffer: GPUBuffer, options: { dataType: 'float32' | 'float16'; dims: readonly number[] }): unknown;
  };
  InferenceSession: { create(model: Uint8Array, options?: object): Promise<unknown> };
  env: { webgpu: { device?: unknown } };
}

/** Logits element types the scorer handles (fp32 models; fp16 and q4f16 models). */
export type LogitsType = 'float32' | 'float16';

export class DeviceScorer {
  private buffer: GPUBuffer | null = null;
  private readonly gathers = new Map<string, Promise<OrtSession>>();
  private readonly joins = new Map<string, Promise<OrtSession>>();
  private readonly scorings = new Map<LogitsType, Promise<OrtSession>>();

  private constructor(
    private readonly ort: OrtWebModule,
    private readonly device: GPUDevice,
    scoring: OrtSession,
  ) {
    this.scorings.set('float32', Promise.resolve(scoring));
  }

  /**
   * A scorer on the device the runtime's WebGPU provider uses; call after the model's session
   * exists (the provider creates the device with its first session).
   */
  static async create(ort: OrtWebModule): Promise<DeviceScorer> {
    const device = (await ort.env.webgpu.device) as GPUDevice | undefined;
    if (!device || typeof device.createBuffer !== 'function') throw new Error('onnxruntime-web has no WebGPU device yet (no WebGPU session was created).');
    const scoring = (await ort.InferenceSession.create(scoringGraph(), { executionProviders: ['webgpu'] })) as OrtSession;
    return new DeviceScorer(ort, device, scoring);
  }

  /**
   * A GPU tensor of `dims` for the model to write its logits into. One buffer is kept and grown,
   * never shrunk: each call's logits are consumed (score) before the next call writes them.
   */
  logitsOutput(dims: readonly [number, number, number], type: LogitsType = 'float32'): unknown {
    const bytes = dims[0] * dims[1] * dims[2] * (type === 'float16' ? 2 : 4);
    if (!this.buffer || this.buffer.size < bytes) {
      this.buffer?.destroy();
      this.buffer = null;
      this.buffer = this.device.createBuffer({ size: Math.ceil(bytes / 16) * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    }
    return this.ort.Tensor.fromGpuBuffer(this.buffer, { dataType: type, dims });
  }

  /**
   * log softmax(logits[row, column])[target] and argmax (first index on ties) at each pick, on
   * the device; `rowColumn` holds (row, column) pairs.
   */
  async score(logits: unknown, rowColumn: Int32Array, targets: Int32Array, type: LogitsType = 'float32'): Promise<{ logprobs: Float32Array; argmax: Int32Array }> {
    let session = this.scorings.get(type);
    if (!session) {
      session = this.ort.InferenceSession.create(scoringGraph(DataType.FLOAT16), { executionProviders: ['webgpu'] }) as Promise<OrtSession>;
      this.scorings.set(type, session);
    }
    const K = targets.length;
    const index = new this.ort.Tensor('int64', BigInt64Array.from(rowColumn, (v) => BigInt(v)), [K, 2]);
    const target = new this.ort.Tensor('int64', BigInt64Array.from(targets, (v) => BigInt(v)), [K, 1]);
    const out = await (await session).run({ logits, index, target });
    try {
      const logprobs = Float32Array.from(out.logprob.data as Float32Array);
      const argmax = Int32Array.from(out.argmax.data as BigInt64Array, (v) => Number(v));
      return { logprobs, argmax };
    } finally {
      out.logprob.dispose();
      out.argmax.dispose();
    }
  }

  /** x[rows] along the batch axis, computed and kept on the GPU (x is a GPU tensor). */
  async gatherRows(x: OrtTensor, rows: number[]): Promise<OrtTensor> {
    const type = x.type === 'float16' ? 'float16' : 'float32';
    let session = this.gathers.get(type);
    if (!session) {
      session = this.ort.InferenceSession.create(rowGatherGraph(type === 'float16' ? DataType.FLOAT16 : DataType.FLOAT), {
        executionProviders: ['webgpu'],
        preferredOutputLocation: { y: 'gpu-buffer' },
      }) as Promise<OrtSession>;
      this.gathers.set(type, session);
    }
    const index = new this.ort.Tensor('int64', BigInt64Array.from(rows, (v) => BigInt(v)), [rows.length]);
    const out = await (await session).run({ x, rows: index });
    return out.y;
  }

  /**
   * Caches joined on the GPU (cacheJoinGraph): `caches[c][t]` is tensor t of cache c
   * ([rows, heads, columns, head_dim], every cache's tensors alike but for rows and columns);
   * output t holds every cache's rows of tensor t, in order, each zero-padded to `length` columns.
   * The inputs stay valid; the caller disposes the outputs.
   */
  async joinCaches(caches: OrtTensor[][], length: number): Promise<OrtTensor[]> {
    const T = caches[0].length;
    const type = caches[0][0].type === 'float16' ? 'float16' : 'float32';
    const key = `${type}:${caches.length}:${T}`;
    let session = this.joins.get(key);
    if (!session) {
      session = this.ort.InferenceSession.create(cacheJoinGraph(caches.length, T, type === 'float16' ? DataType.FLOAT16 : DataType.FLOAT), {
        executionProviders: ['webgpu'],
        preferredOutputLocation: 'gpu-buffer',
      }) as Promise<OrtSession>;
      this.joins.set(key, session);
    }
    const feeds: Record<string, unknown> = {};
    caches.forEach((tensors, c) => {
      if (tensors.length !== T) throw new Error(`Cache ${c} has ${tensors.length} tensors, cache 0 has ${T}.`);
      const columns = tensors[0].dims[2];
      if (!(columns <= length)) throw new Error(`Cache ${c} has ${columns} columns, more than the ${length} to join to.`);
      tensors.forEach((x, t) => (feeds[`x${c}_${t}`] = x));
      feeds[`pad${c}`] = new this.ort.Tensor('int64', BigInt64Array.from([0, 0, 0, 0, 0, 0, length - columns, 0], BigInt), [8]);
    });
    const out = await (await session).run(feeds);
    return Array.from({ length: T }, (_, t) => out[`y${t}`]);
  }

  async dispose(): Promise<void> {
    this.buffer?.destroy();
    this.buffer = null;
    const sessions = await Promise.all([...this.scorings.values(), ...this.gathers.values(), ...this.joins.values()].map((s) => s.catch(() => null)));
    this.gathers.clear();
    this.joins.clear();
    this.scorings.clear();
    await Promise.all(sessions.map((s) => s?.release().catch(() => undefined)));
  }
}
