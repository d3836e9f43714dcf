/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Multi-threaded WASM needs SharedArrayBuffer, which browsers only grant to cross-origin
// isolated pages. Static hosts must send the same two headers (see README).
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// The ONNX Runtime build that transformers.js imports ("onnxruntime-web/webgpu") loads the
// asyncify WASM variant at run time. We serve it ourselves instead of the default CDN.
export const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

function ortDistDir(): string {
  const require = createRequire(import.meta.url);
  // Resolve from transformers.js itself so we serve the exact ORT build it imports.
  const transformersEntry = require.resolve('@huggingface/transformers');
  const ortEntry = createRequire(transformersEntry).resolve('onnxruntime-web');
  const dir = dirname(ortEntry);
  for (const name of ORT_FILES) {
    if (!existsSync(join(dir, name))) throw new Error(`ONNX Runtime file ${name} not found in ${dir}`);
  }
  return dir;
}

function serveOrtWasm(): Plugin {
  const dir = ortDistDir();
  return {
    name: 'emergence-lab:ort-wasm',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const name = req.url?.split('?')[0].replace(/^.*\/ort\//, '');
        if (!req.url?.includes('/ort/') || !name || !ORT_FILES.includes(name)) return next();
        res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        res.end(readFileSync(join(dir, name)));
      });
    },
    generateBundle() {
      for (const name of ORT_FILES) {
        this.emitFile({ type: 'asset', fileName: `ort/${name}`, source: readFileSync(join(dir, name)) });
      }
    },
  };
}

/**
 * onnxruntime-web names its WASM file with `new URL(..., import.meta.url)` as a fallback for
 * when no wasmPaths are set, so the bundler copies the 27 MB file into assets/ a second time.
 * The lab always sets wasmPaths to dist/ort/ (served with the right headers), so the hashed copy
 * is never requested: drop it and point the fallback at the same file in ort/.
 */
function dropDuplicateOrtWasm(): Plugin {
  return {
    name: 'emergence-lab:drop-duplicate-ort-wasm',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const [fileName, output] of Object.entries(bundle)) {
        if (output.type !== 'asset' || !/^assets\/ort-wasm[^/]*\.wasm$/.test(fileName)) continue;
        const hashed = fileName.slice('assets/'.length);
        const original = ORT_FILES.find((f) => f.endsWith('.wasm'))!;
        delete bundle[fileName];
        const target = `../ort/${original}`;
        for (const out of Object.values(bundle)) {
          // Worker bundles arrive here as JavaScript assets, the page's code as chunks.
          if (out.type === 'chunk' && out.code.includes(hashed)) out.code = out.code.split(hashed).join(target);
          if (out.type === 'asset' && out.fileName.endsWith('.js') && typeof out.source === 'string' && out.source.includes(hashed)) {
            out.source = out.source.split(hashed).join(target);
          }
        }
      }
    },
  };
}

/**
 * Content-Security-Policy of the production build (a <meta> tag, so any static host gets it):
 * scripts only from the app itself plus 'wasm-unsafe-eval' for WebAssembly, no eval, and
 * connections only to the app and the configured model host.
 */
export function contentSecurityPolicy(modelHost: string): string {
  const host = new URL(modelHost);
  // The Hugging Face Hub answers file requests with redirects to its CDN hosts.
  const hubCdn = host.hostname === 'huggingface.co' ? ' https://*.huggingface.co https://*.hf.co' : '';
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    `connect-src 'self' ${host.origin}${hubCdn}`,
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
  ].join('; ');
}

function injectCsp(modelHost: string): Plugin {
  return {
    name: 'emergence-lab:csp',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy(modelHost) }, injectTo: 'head-prepend' }],
  };
}

/** Model host for Hub ladders, fixed at build time (never changeable by a share link). */
const MODEL_HOST = process.env.VITE_MODEL_HOST || 'https://huggingface.co';
/** Downloads above this many bytes ask for consent (default 20 MiB); build-time only, for self-hosting and tests. */
const CONSENT_THRESHOLD = process.env.VITE_CONSENT_THRESHOLD_BYTES ?? '';

export default defineConfig({
  base: './',
  publicDir: 'static',
  plugins: [svelte(), serveOrtWasm(), dropDuplicateOrtWasm(), injectCsp(MODEL_HOST)],
  define: {
    'import.meta.env.VITE_MODEL_HOST': JSON.stringify(MODEL_HOST),
    'import.meta.env.VITE_CONSENT_THRESHOLD_BYTES': JSON.stringify(CONSENT_THRESHOLD),
  },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        extends: true,
        test: {
          name: 'node',
          include: ['tests/node/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/browser/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
