import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../../vite.config.ts';

describe('Content-Security-Policy of the build', () => {
  it('allows connections to the app and the configured model host only (plus the Hub CDN for the default host)', () => {
    const hub = contentSecurityPolicy('https://huggingface.co');
    expect(hub).toContain("connect-src 'self' https://huggingface.co https://*.huggingface.co https://*.hf.co;");
    const local = contentSecurityPolicy('http://127.0.0.1:4321/');
    expect(local).toContain("connect-src 'self' http://127.0.0.1:4321;");
    expect(local).not.toContain('huggingface');
    expect(local).toContain("script-src 'self' 'wasm-unsafe-eval'");
  });
});
