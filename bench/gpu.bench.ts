/**
 * npm run bench:gpu [-- --batches 8 --rows 32 --context 24 --target 8 --shape 12x768]
 *
 * The engine's WebGPU path on a CUDA machine without a browser: onnxruntime-web (the runtime the
 * app uses in the browser, through transformers.js) with its WebGPU execution provider, on Dawn
 * from the `webgpu` npm package (Vulkan). It scores a GPT-2-small-shaped model with random
 * weights (built at run time, bench/random-model.ts) on batches of random token rows with the
 * engine's cached scorer and its scoring head (the LM head only at scored positions, log-softmax
 * and argmax on the GPU; `--head off` scores the full logits, reduced on the GPU), prints
 * tokens/s, then, where PyTorch with CUDA is installed, runs the same batches through a PyTorch
 * fp32 forward + log-softmax gather (bench/gpu_torch.py) and prints its tokens/s and the ratio.
 * Unattended, a few minutes at most.
 *
 * Needs: `npm install -D webgpu@0.6.2` (not a project dependency), the Vulkan loader
 * (libvulkan1) and the NVIDIA ICD (set VK_DRIVER_FILES to it if Dawn finds no adapter).
 * `--ep wasm` runs the same path on onnxruntime-web's CPU backend (no GPU needed) to check it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '8' },
    rows: { type: 'string', default: '32' },
    context: { type: 'string', default: '24' },
    target: { type: 'string', default: '8' },
    shape: { type: 'string', default: '12x768' },
    reps: { type: 'string', default: '3' },
    ep: { type: 'string', default: 'webgpu' },
    python: { type: 'string', default: 'python3' },
    // The engine's scoring head (scoring-head.ts; the app's default): 'off' scores the model's full logits.
    head: { type: 'string', default: 'on' },
  },
});
const [layers, embd] = values.shape!.split('x').map(Number);
const ep = values.ep as 'webgpu' | 'wasm';
const B = Number(values.batches);
const R = Number(values.rows);
const C = Number(values.context);
const T = Number(values.target);
const reps = Number(values.reps);
const here = dirname(fileURLToPath(import.meta.url));

// 1. WebGPU in Node (before onnxruntime-web loads).
if (ep === 'webgpu') {
  let webgpu: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    webgpu = (await import(/* @vite-ignore */ 'webgpu' as string)) as typeof webgpu;
  } catch {
    console.error('bench:gpu needs the `webgpu` npm package (Dawn for Node), which is not a project dependency:\n  npm install -D webgpu@0.6.2\nthen run `npm run bench:gpu` again (or `npm run bench:gpu -- --ep wasm` to check the path without a GPU).');
    process.exit(2);
  }
  Object.assign(globalThis, webgpu.globals);
  const gpu = webgpu.create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    console.error('Dawn found no GPU adapter: install libvulkan1 and the NVIDIA Vulkan ICD, or set VK_DRIVER_FILES=/usr/share/vulkan/icd.d/nvidia_icd.json.');
    process.exit(2);
  }
  const info = (adapter as unknown as { info?: { vendor?: string; architecture?: string; description?: string } }).info;
  console.log(`WebGPU adapter: ${info?.vendor ?? '?'} ${info?.architecture ?? ''} ${info?.description ?? ''}`.trim());
  // Dawn in Node rejects writeBuffer from a view of a SharedArrayBuffer (ORT's threaded WASM memory): copy first.
  const proto = (globalThis as unknown as { GPUQueue: { prototype: GPUQueue } }).GPUQueue.prototype;
  const writeBuffer = proto.writeBuffer;
  proto.writeBuffer = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: BufferSource | SharedArrayBuffer, dataOffset?: number, size?: number) {
    const view = ArrayBuffer.isView(data) ? data : new Uint8Array(data as ArrayBuffer);
    if (view.buffer instanceof SharedArrayBuffer) {
      const copy = new Uint8Array(view.byteLength);
      copy.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      return writeBuffer.call(this, buffer, offset, copy, dataOffset, size);
    }
    return writeBuffer.call(this, buffer, offset, data as BufferSource, dataOffset, size);
  } as typeof proto.writeBuffer;
}

// 2. transformers.js on onnxruntime-web instead of onnxruntime-node: it uses the runtime found under this symbol.
const ortWeb = (await import('onnxruntime-web/webgpu')) as unknown as Record<string, unknown> & {
  InferenceSession: { create(model: Uint8Array | string, options?: object): Promise<unknown> };
  env: { wasm: { numThreads?: number } };
};
ortWeb.env.wasm.numThreads = 1;
const injected = {
  ...ortWeb,
  // transformers.js hands Node a file path; onnxruntime-web wants the bytes.
  InferenceSession: { create: async (model: Uint8Array | string, options?: object) => ortWeb.InferenceSession.create(typeof model === 'string' ? readFileSync(model) : model, options) },
};
(globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = injected;
const { AutoModelForCausalLM, AutoTokenizer } = await import('@huggingface/transformers');
// transformers.js points onnxruntime-web at a CDN for its WASM; Node loads the package's own files.
const { createRequire } = await import('node:module');
const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/webgpu'));
(ortWeb.env.wasm as { wasmPaths?: unknown }).wasmPaths = pathToFileURL(ortDist).href + '/';
const { configureTransformers, TransformersBackend } = await import('../src/lib/engine/transformers-backend.ts');
const { withScoringHead } = await import('../src/lib/engine/head-session.ts');
const { scoreContinuations } = await import('../src/lib/engine/continuations.ts');
const { DeviceScorer } = await import('../src/lib/engine/device-scoring.ts');
type OrtWebModule = import('../src/lib/engine/device-scoring.ts').OrtWebModule;
const { writeRandomModel, GPT2_SMALL } = await import('./random-model.ts');

const dir = mkdtempSync(join(tmpdir(), 'emergence-gpu-'));
try {
  const shape = { ...GPT2_SMALL, layers, embd, heads: Math.max(1, embd / 64) };
  let t = performance.now();
  writeRandomModel(join(dir, 'rand', 'gpt2'), shape);
  console.log(`random GPT-2-shaped model ${layers}x${embd}, vocab ${shape.vocab}: built in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  configureTransformers({ localModelPath: dir, remoteHost: null });
  t = performance.now();
  const presents = Object.fromEntries(Array.from({ length: layers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]).flat().map((n) => [n, 'gpu-buffer']));
  // The tokenizer first, as the engine loads them. (Under Node, onnxruntime-web's WebGPU bundle
  // stalls timers for ~26 s after a session runs, measured with and without the head: a
  // setTimeout(100) took 26-27 s; whatever awaits one then waits, e.g. a tokenizer loaded after it.)
  const tokenizer = await AutoTokenizer.from_pretrained('rand/gpt2', { local_files_only: true });
  const load = () =>
    AutoModelForCausalLM.from_pretrained('rand/gpt2', {
      local_files_only: true,
      dtype: 'fp32',
      // transformers.js lists no devices for an injected runtime: 'auto' passes the provider set
      // here through, and present.* stay on the GPU as transformers.js arranges for WebGPU.
      device: 'auto',
      session_options: ep === 'webgpu' ? { executionProviders: ['webgpu'], preferredOutputLocation: presents } : { executionProviders: ['wasm'] },
    } as Parameters<typeof AutoModelForCausalLM.from_pretrained>[1]);
  // As the engine loads models (transformers-backend.ts): the scoring head added to the graph.
  const model = values.head === 'on' ? await withScoringHead(injected, async (p) => new Uint8Array(readFileSync(p)), load, { logSoftmax: ep === 'webgpu' ? 'ops' : 'kernel' }) : await load();
  // On WebGPU the engine scores where the logits are (device-scoring.ts): only log-probs and argmax ids come back.
  const scorer = ep === 'webgpu' ? await DeviceScorer.create(ortWeb as unknown as OrtWebModule) : null;
  const backend = new TransformersBackend(model, tokenizer, scorer);
  const how = backend.projectsScoredOnly
    ? 'through the scoring head (LM head at scored positions only; log-probs and argmax ids come back)'
    : backend.scoresOnDevice
      ? 'on the GPU (full logits, reduced there)'
      : 'on the CPU (logits read back)';
  console.log(`loaded on onnxruntime-web ${ep} in ${((performance.now() - t) / 1000).toFixed(1)} s; scoring ${how}`);

  // Token batches: B batches of R rows, C context + T target tokens each (seeded, the same for PyTorch).
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const batches = Array.from({ length: B }, () => Array.from({ length: R }, () => Array.from({ length: C + T }, () => Math.floor(rand() * (shape.vocab - 1)))));
  const memory = { vocab: shape.vocab, kvBytesPerToken: backend.kvBytesPerToken, budgetBytes: 1024 * 1024 * 1024, maxRows: R };
  const runEngine = async () => {
    let sum = 0;
    for (const rows of batches) {
      const { scores } = await scoreContinuations(backend, rows.map((r) => ({ contextIds: r.slice(0, C), continuations: [r.slice(C)] })), memory, false);
      for (const g of scores) sum += g[0].logprobs.reduce((a, b) => a + b, 0);
    }
    return sum;
  };
  const engineSum = await runEngine(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    t = performance.now();
    await runEngine();
    times.push(performance.now() - t);
  }
  const engineMs = times.sort((a, b) => a - b)[Math.floor(reps / 2)];
  const tokens = B * R * (C + T);
  const engineTps = tokens / (engineMs / 1000);
  console.log(`engine (${ep}): ${B} batches x ${R} rows x ${C + T} tokens, median ${engineMs.toFixed(0)} ms: ${engineTps.toFixed(0)} tokens/s (summed target log-prob ${engineSum.toFixed(3)})`);
  await backend.dispose();

  // 3. PyTorch fp32 on the same batches, where it exists with CUDA.
  const batchFile = join(dir, 'batches.json');
  writeFileSync(batchFile, JSON.stringify({ batches, context: C, layers, embd, heads: shape.heads, vocab: shape.vocab, positions: shape.positions, reps }));
  const py = spawnSync(values.python!, [join(here, 'gpu_torch.py'), batchFile], { encoding: 'utf8', timeout: 240_000 });
  const line = py.stdout?.split('\n').find((l) => l.startsWith('TORCH_TOKENS_PER_S '));
  if (py.status === 0 && line) {
    const torchTps = Number(line.split(' ')[1]);
    console.log(py.stdout.split('\n').filter((l) => l && !l.startsWith('TORCH_')).join('\n'));
    console.log(`PyTorch fp32 CUDA: ${torchTps.toFixed(0)} tokens/s`);
    console.log(`ratio engine/PyTorch: ${(engineTps / torchTps).toFixed(2)}`);
  } else {
    console.log(`PyTorch with CUDA not run: ${(py.stderr || py.stdout || String(py.error ?? '')).trim().split('\n').at(-1)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
