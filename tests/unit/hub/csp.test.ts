import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, parseHeadersFile, securityHeaders, staticHostHeaderFiles } from '../../../vite.config.ts';

describe('Content-Security-Policy of the build', () => {
  it('allows connections to the app and the configured model host only (plus the Hub CDN for the default host)', () => {
    const hub = contentSecurityPolicy('https://huggingface.co');
    expect(hub).toContain("connect-src 'self' https://huggingface.co https://*.huggingface.co https://*.hf.co;");
    const local = contentSecurityPolicy('http://127.0.0.1:4321/');
    expect(local).toContain("connect-src 'self' http://127.0.0.1:4321;");
    expect(local).not.toContain('huggingface');
    expect(local).toContain("script-src 'self' 'wasm-unsafe-eval'");
  });

  it('dev adds only the HMR websocket; the header files for static hosts all carry the same headers', () => {
    expect(contentSecurityPolicy('http://127.0.0.1:4321', { dev: true })).toContain("connect-src 'self' http://127.0.0.1:4321 ws://localhost:* ws://127.0.0.1:*;");
    const headers = securityHeaders('http://127.0.0.1:4321');
    expect(Object.keys(headers).sort()).toEqual(['Content-Security-Policy', 'Cross-Origin-Embedder-Policy', 'Cross-Origin-Opener-Policy']);
    const files = staticHostHeaderFiles(headers);
    // vite preview reads _headers back: what it serves is what a static host serves.
    expect(parseHeadersFile(files._headers)).toEqual(headers);
    const vercel = JSON.parse(files['vercel.json']) as { headers: { source: string; headers: { key: string; value: string }[] }[] };
    expect(Object.fromEntries(vercel.headers[0].headers.map((h) => [h.key, h.value]))).toEqual(headers);
    expect(vercel.headers[0].source).toBe('/(.*)');
    expect(files['nginx-headers.conf']).toContain(`add_header Content-Security-Policy "${headers['Content-Security-Policy']}" always;`);
    expect(parseHeadersFile('/assets/*\n  X-Other: 1\n/*\n  A: b\n')).toEqual({ A: 'b' });
  });
});
