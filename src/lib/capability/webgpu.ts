/**
 * What this browser's GPU offers, and which backend the lab recommends. Runs in the page and in
 * the worker (both have navigator.gpu in Chromium-based browsers).
 *
 * Two questions kept apart (issue 13): can WebGPU run here at all (`webgpuUsable`: adapter,
 * device and compute self-test), and which backend is faster (`choice`, see backend-choice.ts).
 * A software adapter is usable but slow, so WASM is recommended while WebGPU stays selectable.
 */
import { chooseBackend, softwareRenderer, type BackendChoice } from './backend-choice.ts';

export interface GpuCapability {
  /** An adapter was granted (it may still be unusable: see webgpuUsable). */
  webgpu: boolean;
  /** Adapter, device and compute self-test all passed: WebGPU can be selected. */
  webgpuUsable: boolean;
  /** The adapter says it is a fallback (software) adapter. */
  isFallbackAdapter: boolean;
  /** The software renderer behind the adapter ("SwiftShader"), or null for a hardware GPU. */
  softwareRenderer: string | null;
  vendor: string | null;
  architecture: string | null;
  description: string | null;
  shaderF16: boolean;
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number; maxComputeWorkgroupSizeX: number } | null;
  /** The recommended backend (choice.backend): what the form starts with. */
  backend: 'webgpu' | 'wasm';
  /** The recommendation with its reason (and the probe that decided it, if any). */
  choice: BackendChoice;
  /** Why WebGPU is not usable here (null when it is). */
  fallbackReason: string | null;
  selfTest: { passed: boolean; detail: string } | null;
}

type GpuNavigator = { gpu?: GPU };

/** Double [1, 2, 3, 4] in a compute shader and read it back: proves compute actually runs. */
async function computeSelfTest(device: GPUDevice): Promise<{ passed: boolean; detail: string }> {
  const input = new Float32Array([1, 2, 3, 4]);
  const storage = device.createBuffer({ size: input.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const readback = device.createBuffer({ size: input.byteLength, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(storage, 0, input);
  const module = device.createShaderModule({
    code: `@group(0) @binding(0) var<storage, read_write> data: array<f32>;
           @compute @workgroup_size(4) fn main(@builtin(global_invocation_id) id: vec3<u32>) { data[id.x] = data[id.x] * 2.0; }`,
  });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: storage } }] });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(1);
  pass.end();
  encoder.copyBufferToBuffer(storage, 0, readback, 0, input.byteLength);
  device.queue.submit([encoder.finish()]);
  await readback.mapAsync(GPUMapMode.READ);
  const out = Array.from(new Float32Array(readback.getMappedRange().slice(0)));
  readback.unmap();
  storage.destroy();
  readback.destroy();
  const passed = out.join(',') === '2,4,6,8';
  return { passed, detail: `[1,2,3,4] x 2 = [${out.join(',')}]` };
}

/** Fill in the recommendation from what was found (no stored probe: see backend-probe.ts). */
function withChoice(cap: Omit<GpuCapability, 'backend' | 'choice'>): GpuCapability {
  const choice = chooseBackend({ webgpuUsable: cap.webgpuUsable, software: cap.softwareRenderer, unusableReason: cap.fallbackReason }, null);
  return { ...cap, backend: choice.backend, choice };
}

/** adapter.info.isFallbackAdapter (Chrome 136+), or the deprecated adapter.isFallbackAdapter. */
function fallbackFlag(adapter: GPUAdapter): boolean {
  const info = adapter.info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined;
  return Boolean(info?.isFallbackAdapter ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter);
}

export async function probeGpu(nav: GpuNavigator = globalThis.navigator as GpuNavigator): Promise<GpuCapability> {
  return withChoice(await probeAdapter(nav));
}

async function probeAdapter(nav: GpuNavigator): Promise<Omit<GpuCapability, 'backend' | 'choice'>> {
  const base: Omit<GpuCapability, 'backend' | 'choice'> = {
    webgpu: false, webgpuUsable: false, isFallbackAdapter: false, softwareRenderer: null, vendor: null, architecture: null, description: null, shaderF16: false,
    limits: null, fallbackReason: null, selfTest: null,
  };
  if (!nav?.gpu) return { ...base, fallbackReason: 'This browser has no WebGPU (navigator.gpu is missing). Chrome and Edge 113+ have it; Firefox and Safari only in recent versions or behind a flag.' };
  let adapter: GPUAdapter | null;
  try {
    adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return { ...base, fallbackReason: `Requesting a WebGPU adapter failed: ${(err as Error).message}` };
  }
  if (!adapter) return { ...base, fallbackReason: 'WebGPU is present but no adapter was granted (GPU blocklisted, disabled, or no driver).' };
  const info = adapter.info;
  const facts = { vendor: info?.vendor || null, architecture: info?.architecture || null, description: info?.description || null, isFallbackAdapter: fallbackFlag(adapter) };
  const found: Omit<GpuCapability, 'backend' | 'choice'> = {
    ...base,
    webgpu: true,
    ...facts,
    softwareRenderer: softwareRenderer(facts),
    shaderF16: adapter.features.has('shader-f16'),
    limits: {
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupSizeX: adapter.limits.maxComputeWorkgroupSizeX,
    },
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice();
  } catch (err) {
    return { ...found, fallbackReason: `The WebGPU adapter refused a device: ${(err as Error).message}` };
  }
  try {
    const selfTest = await computeSelfTest(device);
    if (!selfTest.passed) return { ...found, selfTest, fallbackReason: `The WebGPU compute self-test gave wrong numbers (${selfTest.detail}).` };
    return { ...found, selfTest, webgpuUsable: true };
  } catch (err) {
    return { ...found, selfTest: { passed: false, detail: (err as Error).message }, fallbackReason: `The WebGPU compute self-test failed: ${(err as Error).message}` };
  } finally {
    device.destroy();
  }
}
