/**
 * Build the app once and serve it with `vite preview` (COOP/COEP headers included) for every
 * browser test. Tests read the URL with inject('baseUrl').
 *
 * The build's model host (VITE_MODEL_HOST, a build-time setting a share link cannot change) is
 * a local port chosen here; tests/browser/hub.test.ts starts the Hub-imitating server
 * (tests/helpers/hub-server.ts) on it, read with inject('hubPort'). The build also lowers the
 * consent threshold (VITE_CONSENT_THRESHOLD_BYTES) so the small bundled models can trigger the
 * consent dialog. Each run builds into its own folder (several test runs may share this
 * checkout at once), removed in teardown; `dist/` is never touched.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { build, preview, type PreviewServer } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    /** Port of the model host the build points at (nothing listens until a test starts the hub server). */
    hubPort: number;
    /** The build's consent threshold in bytes. */
    consentThresholdBytes: number;
  }
}

/** Small enough that the larger bundled models (0.66 and 1.9 MB) need consent, the small ones not. */
export const TEST_CONSENT_THRESHOLD_BYTES = 600_000;

let server: PreviewServer | undefined;
let outDir: string | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function setup(project: TestProject) {
  const hubPort = await freePort();
  outDir = join(process.cwd(), '.vitest-dist', `${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(outDir, { recursive: true });
  const saved = { host: process.env.VITE_MODEL_HOST, threshold: process.env.VITE_CONSENT_THRESHOLD_BYTES };
  process.env.VITE_MODEL_HOST = `http://127.0.0.1:${hubPort}`;
  process.env.VITE_CONSENT_THRESHOLD_BYTES = String(TEST_CONSENT_THRESHOLD_BYTES);
  try {
    await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } finally {
    for (const [k, v] of [['VITE_MODEL_HOST', saved.host], ['VITE_CONSENT_THRESHOLD_BYTES', saved.threshold]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  server = await preview({ build: { outDir }, preview: { port: 0, host: '127.0.0.1', strictPort: false }, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  project.provide('baseUrl', url);
  project.provide('hubPort', hubPort);
  project.provide('consentThresholdBytes', TEST_CONSENT_THRESHOLD_BYTES);
}

export async function teardown() {
  await server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
}
