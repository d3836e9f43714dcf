/**
 * The Hub client as the browser app uses it: the model host fixed at build time
 * (VITE_MODEL_HOST, see vite.config.ts; never from a share link) and the Cache API as store.
 */
import { normalizeHost } from './repo.ts';
import { createHubSession, type HubSession, type HubSessionOptions } from './session.ts';
import { CacheApiModelStore, DEFAULT_CACHE_NAME } from './store.ts';

/** The build's model host, or null where none is defined (Node without Vite). */
export function configuredModelHost(): string | null {
  try {
    // Vite's `define` replaces this exact expression with the build-time string.
    const host = import.meta.env.VITE_MODEL_HOST as string | undefined;
    return host ? normalizeHost(host) : null;
  } catch {
    return null;
  }
}

/**
 * The build's consent threshold in bytes (VITE_CONSENT_THRESHOLD_BYTES, a build-time setting
 * for self-hosting and tests; never from a share link), or null for the default (20 MiB).
 */
export function configuredConsentThreshold(): number | null {
  try {
    const raw = import.meta.env.VITE_CONSENT_THRESHOLD_BYTES as string | undefined;
    const n = raw ? Number(raw) : NaN;
    return Number.isFinite(n) && n >= 0 ? n : null;
  } catch {
    return null;
  }
}

/** The Cache API exists only in secure contexts (https, localhost). */
export function cacheApiAvailable(): boolean {
  return typeof caches !== 'undefined';
}

/**
 * A session on the build's model host that keeps files in the Cache API. Create one in the
 * page for planning and the cache manager, and one in the engine worker for downloads; both
 * see the same cache.
 */
export function createBrowserHubSession(options: Partial<HubSessionOptions> = {}): HubSession {
  const host = options.host ?? configuredModelHost();
  if (!host) throw new Error('No model host: VITE_MODEL_HOST was not defined at build time.');
  const store = options.store !== undefined ? options.store : cacheApiAvailable() ? new CacheApiModelStore(DEFAULT_CACHE_NAME) : null;
  return createHubSession({ consentThresholdBytes: configuredConsentThreshold() ?? undefined, ...options, host, store });
}
