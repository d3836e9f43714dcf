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
 * A session on the build's model host that keeps files in the Cache API. Create one in the
 * page for planning and the cache manager, and one in the engine worker for downloads; both
 * see the same cache.
 */
export function createBrowserHubSession(options: Partial<HubSessionOptions> = {}): HubSession {
  const host = options.host ?? configuredModelHost();
  if (!host) throw new Error('No model host: VITE_MODEL_HOST was not defined at build time.');
  return createHubSession({ ...options, host, store: options.store === undefined ? new CacheApiModelStore(DEFAULT_CACHE_NAME) : options.store });
}
