/**
 * Find and launch a real Chromium for browser tests. No browser download: we use the system
 * one (Debian's `chromium`, or Chrome), which ships SwiftShader, so WebGPU works without a GPU.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

export function findChromium(): string | null {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export interface LaunchOptions {
  /** false launches with WebGPU disabled, to exercise the WASM fallback. */
  webgpu?: boolean;
}

export interface LaunchedBrowser {
  browser: Browser;
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

export function chromiumArgs(opts: LaunchOptions): string[] {
  const args = [
    '--no-first-run',
    // Without these Chromium floods a closed network with connection attempts.
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
  ];
  args.push(opts.webgpu === false ? '--disable-webgpu' : '--enable-unsafe-webgpu');
  if (typeof process.getuid === 'function' && process.getuid() === 0) args.push('--no-sandbox');
  return args;
}

export async function launchChromium(opts: LaunchOptions = {}): Promise<LaunchedBrowser> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error('No Chromium found: install Debian\'s `chromium` (apt-get install chromium) or set CHROME_PATH to a Chrome/Chromium binary.');
  }
  // playwright's launch() starts from a fresh temporary profile every time: no cache, storage
  // or permissions leak between runs.
  const browser = await chromium.launch({ executablePath, headless: true, args: chromiumArgs(opts) });
  return {
    browser,
    newContext: () => browser.newContext(),
    close: () => browser.close(),
  };
}
