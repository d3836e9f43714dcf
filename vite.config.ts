/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

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
        // This middleware answers before Vite's own, so server.headers never reach these files. The
        // .mjs is also the script of ONNX Runtime's pthread workers: without COOP/COEP of its own such a
        // worker is not cross-origin isolated, cannot share the wasm memory, and a multi-threaded
        // session never starts (the run hangs at its first model under `npm run dev`).
        for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
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
 * Content-Security-Policy: scripts only from the app itself plus 'wasm-unsafe-eval' for
 * WebAssembly, no eval, and connections only to the app and the configured model host. It is
 * sent as an HTTP header (dev and preview servers; the header files emitted into dist/ for static
 * hosts) because a <meta> policy does not reach the engine worker: a dedicated worker takes its
 * policy from its own script's response, so that response must carry the header. The production
 * page also keeps the <meta> copy for hosts that cannot send headers (the worker is then only
 * bound by the browser's defaults: see docs/hub.md). `dev` adds Vite's HMR websocket.
 */
export function contentSecurityPolicy(modelHost: string, options: { dev?: boolean } = {}): string {
  const host = new URL(modelHost);
  // The Hugging Face Hub answers file requests with redirects to its CDN hosts.
  const hubCdn = host.hostname === 'huggingface.co' ? ' https://*.huggingface.co https://*.hf.co' : '';
  const hmr = options.dev ? ' ws://localhost:* ws://127.0.0.1:*' : '';
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    `connect-src 'self' ${host.origin}${hubCdn}${hmr}`,
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
  ].join('; ');
}

/** Every response's security headers: cross-origin isolation (threads) and the policy. */
export function securityHeaders(modelHost: string, options: { dev?: boolean } = {}): Record<string, string> {
  return { ...isolationHeaders, 'Content-Security-Policy': contentSecurityPolicy(modelHost, options) };
}

/** Header files for static hosts, emitted into dist/ (see docs/hub.md "Content-Security-Policy"). */
export function staticHostHeaderFiles(headers: Record<string, string>): Record<string, string> {
  const entries = Object.entries(headers);
  return {
    // Netlify and Cloudflare Pages read dist/_headers.
    _headers: `/*\n${entries.map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`,
    // Vercel (deploying dist/ as the project) reads vercel.json.
    'vercel.json': `${JSON.stringify({ headers: [{ source: '/(.*)', headers: entries.map(([key, value]) => ({ key, value })) }] }, null, 2)}\n`,
    // nginx: include this file inside the server or location block that serves dist/.
    'nginx-headers.conf': `${entries.map(([k, v]) => `add_header ${k} "${v}" always;`).join('\n')}\n`,
  };
}

/** Headers of a dist/_headers file's "/*" block (what `vite preview` then sends, as a static host would). */
export function parseHeadersFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let inAll = false;
  for (const line of text.split('\n')) {
    if (!/^\s/.test(line)) {
      inAll = line.trim() === '/*';
      continue;
    }
    const m = /^\s+([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (inAll && m) out[m[1]] = m[2].trim();
  }
  return out;
}

function injectCsp(modelHost: string): Plugin {
  return {
    name: 'emergence-lab:csp',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy(modelHost) }, injectTo: 'head-prepend' }],
  };
}

/**
 * The policy as a header on every response: dev server (computed), build (header files in
 * dist/), preview (read back from the built dist/_headers, so preview serves what a static host
 * configured with those files serves, whatever VITE_MODEL_HOST is when preview starts).
 */
function cspHeaders(modelHost: string): Plugin {
  let outDir = 'dist';
  return {
    name: 'emergence-lab:csp-headers',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    configureServer(server) {
      const headers = securityHeaders(modelHost, { dev: true });
      server.middlewares.use((_req, res, next) => {
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        next();
      });
    },
    configurePreviewServer(server) {
      const file = resolve(server.config.root, server.config.build.outDir ?? outDir, '_headers');
      const headers = existsSync(file) ? parseHeadersFile(readFileSync(file, 'utf8')) : securityHeaders(modelHost);
      server.middlewares.use((_req, res, next) => {
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        next();
      });
    },
    generateBundle() {
      for (const [fileName, source] of Object.entries(staticHostHeaderFiles(securityHeaders(modelHost)))) this.emitFile({ type: 'asset', fileName, source });
    },
  };
}

/** Model host for Hub ladders, fixed at build time (never changeable by a share link). */
const MODEL_HOST = process.env.VITE_MODEL_HOST || 'https://huggingface.co';
/** Downloads above this many bytes ask for consent (default 20 MiB); build-time only, for self-hosting and tests. */
const CONSENT_THRESHOLD = process.env.VITE_CONSENT_THRESHOLD_BYTES ?? '';

export default defineConfig({
  base: './',
  publicDir: 'static',
  plugins: [svelte(), serveOrtWasm(), dropDuplicateOrtWasm(), injectCsp(MODEL_HOST), cspHeaders(MODEL_HOST)],
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
