/**
 * What this browser's GPU offers, and which backend the lab will use. Runs in the page and in
 * the worker (both have navigator.gpu in Chromium-based browsers).
 */
export interface GpuCapability {
  webgpu: boolean;
  vendor: string | null;
  architecture: string | null;
  description: string | null;
  shaderF16: boolean;
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number; maxComputeWorkgroupSizeX: number } | null;
  /** The backend the lab chose: webgpu when an adapter and a device were granted, else wasm. */
  backend: 'webgpu' | 'wasm';
  /** Why the lab fell back to WASM (null when it did not). */
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

export async function probeGpu(nav: GpuNavigator = globalThis.navigator as GpuNavigator): Promise<GpuCapability> {
  const base: GpuCapability = {
    webgpu: false, vendor: null, architecture: null, description: null, shaderF16: false,
    limits: null, backend: 'wasm', fallbackReason: null, selfTest: null,
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
  const found: GpuCapability = {
    ...base,
    webgpu: true,
    vendor: info?.vendor || null,
    architecture: info?.architecture || null,
    description: info?.description || null,
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
    return { ...found, selfTest, backend: 'webgpu' };
  } catch (err) {
    return { ...found, selfTest: { passed: false, detail: (err as Error).message }, fallbackReason: `The WebGPU compute self-test failed: ${(err as Error).message}` };
  } finally {
    device.destroy();
  }
}
