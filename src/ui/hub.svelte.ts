/**
 * The page's side of Hub models: a HubSession on the build's model host for probing, planning
 * and the cache manager (the engine worker has its own session for the downloads; both use the
 * same Cache API store), the consent request the dialog answers, the download progress folded
 * from the worker's events, and the cache listing. Pure logic lives in src/lib (form.ts,
 * hub/downloads.ts, run/hub-prepare.ts); this class only holds state and calls it.
 */
import { HUB_CATALOG, type HubCatalog } from '../lib/catalog/hub-catalog.ts';
import type { CustomHubModel, HostCheck } from '../lib/charts/form.ts';
import { cacheApiAvailable, configuredModelHost, createBrowserHubSession } from '../lib/hub/browser.ts';
import { applyHubEvent, type Downloads } from '../lib/hub/downloads.ts';
import { HubError } from '../lib/hub/errors.ts';
import type { DownloadPlan } from '../lib/hub/plan.ts';
import { HostUnreachableError, probeHost, type HostReach } from '../lib/hub/reach.ts';
import { validateRepoId } from '../lib/hub/repo.ts';
import type { HubEvent, HubSession } from '../lib/hub/session.ts';
import { cachedBytes, clearModelStore, deleteCachedModel, listCachedModels, type CachedModel } from '../lib/hub/store.ts';
import type { ExperimentSpec } from '../lib/spec/schema.ts';
import { errorText } from './error-text.ts';


export interface ProbeState {
  /** The id as typed. */
  input: string;
  status: 'probing' | 'ok' | 'error';
  message: string | null;
}

export interface StorageEstimate {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

export class HubState {
  readonly catalog: HubCatalog = HUB_CATALOG;
  /** The build's model host (VITE_MODEL_HOST); null only where the build defined none. */
  readonly host: string | null = configuredModelHost();
  readonly cacheAvailable = typeof window !== 'undefined' && cacheApiAvailable();

  /** The plan of the run being prepared or on screen (warnings, failures). */
  plan = $state.raw<DownloadPlan | null>(null);
  /** A plan waiting for the visitor's answer (the consent dialog shows it). */
  consent = $state.raw<DownloadPlan | null>(null);
  /** Per model, per file: bytes of total, retries, failures of the current run. */
  downloads = $state.raw<Downloads>({});
  probe = $state.raw<ProbeState | null>(null);
  /** Catalog models being checked on the host. */
  checking = $state(false);

  cached = $state.raw<CachedModel[]>([]);
  cacheTotal = $state<number | null>(null);
  storage = $state.raw<StorageEstimate | null>(null);
  cacheBusy = $state(false);
  cacheError = $state<string | null>(null);

  /**
   * The last answer of the host probe (null: not probed yet). The page shows one message while
   * it says unreachable (NoticeBar), instead of one error per repository.
   */
  reach = $state.raw<HostReach | null>(null);
  /** The visitor dismissed the offline message (it comes back on the next failed probe). */
  reachDismissed = $state(false);
  private probing: Promise<HostReach> | null = null;
  private reachAt = 0;

  /** The host did not answer its last probe (and the message was not dismissed). */
  get hostDown(): Extract<HostReach, { reachable: false }> | null {
    const r = this.reach;
    return r && !r.reachable && !this.reachDismissed ? r : null;
  }

  /**
   * One probe of the model host (concurrent callers share it). Called when the visitor picks Hub
   * models and before anything that would ask the host per repository.
   */
  checkHost(): Promise<HostReach | null> {
    if (!this.host) return Promise.resolve(null);
    this.probing ??= probeHost(this.host).then((r) => {
      this.probing = null;
      this.reach = r;
      this.reachAt = Date.now();
      if (!r.reachable) this.reachDismissed = false;
      return r;
    });
    return this.probing;
  }

  /**
   * Probe unless the host answered in the last 30 s; throws HostUnreachableError when it does
   * not answer. A failed probe is always asked again: the connection may be back.
   */
  private async ensureHost(): Promise<void> {
    if (this.reach?.reachable && Date.now() - this.reachAt < 30_000) return;
    const r = await this.checkHost();
    if (r && !r.reachable) throw new HostUnreachableError(r);
  }

  dismissReach(): void {
    this.reachDismissed = true;
  }

  private session: HubSession | null = null;
  private answer: ((ok: boolean) => void) | null = null;

  private getSession(): HubSession {
    if (!this.host) throw new Error('This build has no model host (VITE_MODEL_HOST), so Hub models cannot be used.');
    this.session ??= createBrowserHubSession({ host: this.host });
    return this.session;
  }

  /**
   * Probe a repository the visitor typed: its id (validated), commit, config.json (architecture,
   * parameters) and which ONNX dtypes exist. Null (and `probe.message` says why) on failure.
   */
  async probeRepo(input: string): Promise<CustomHubModel | null> {
    const typed = input.trim();
    this.probe = { input: typed, status: 'probing', message: null };
    try {
      await this.ensureHost();
      const model = await this.inspect(typed);
      this.probe = { input: typed, status: 'ok', message: `Added ${model.repoId} (${model.modelType}; ${model.dtypes!.map((d) => d.dtype).join(', ')}).` };
      return model;
    } catch (err) {
      const message = err instanceof HostUnreachableError ? `${typed} was not probed: the model host did not answer (see the message above).` : err instanceof HubError ? err.message : `Could not probe ${typed}: ${errorText(err)}`;
      if (this.probe?.input === typed) this.probe = { input: typed, status: 'error', message };
      return null;
    }
  }

  /** Commit, config.json and ONNX dtypes of a repository (metadata only; nothing is downloaded). */
  private async inspect(input: string): Promise<CustomHubModel> {
    const repoId = validateRepoId(input);
    const session = this.getSession();
    const sha = await session.resolveRevision(repoId);
    const config = await session.readModelConfig(repoId, sha);
    const dtypes = await session.probeDtypes(repoId, sha);
    return {
      repoId,
      sha,
      modelType: config.modelType,
      params: config.params,
      paramsEstimated: config.paramsEstimated,
      dtypes: dtypes.map((d) => ({ dtype: d.dtype, totalBytes: d.totalBytes })),
    };
  }

  /** Check catalog models on the host (they were never checked live): what dtypes exist, or why not. */
  async checkModels(repoIds: readonly string[]): Promise<Record<string, HostCheck>> {
    this.checking = true;
    try {
      // Offline: one probe and one message (NoticeBar), not one error per repository.
      try {
        await this.ensureHost();
      } catch (err) {
        if (err instanceof HostUnreachableError) return {};
        throw err;
      }
      const results = await Promise.all(
        repoIds.map(async (id): Promise<[string, HostCheck]> => {
          try {
            return [id, { ok: true, model: await this.inspect(id) }];
          } catch (err) {
            return [id, { ok: false, message: err instanceof HubError ? err.message : `${id}: could not be checked: ${errorText(err)}` }];
          }
        }),
      );
      return Object.fromEntries(results);
    } finally {
      this.checking = false;
    }
  }

  clearProbe(): void {
    this.probe = null;
  }

  /** Plan a spec's Hub downloads (resolve, check, size; nothing is downloaded). */
  async planRun(spec: ExperimentSpec, shaderF16: boolean | undefined): Promise<DownloadPlan> {
    this.downloads = {};
    this.plan = null;
    // A host that does not answer fails the run here, after one request (see reach.ts).
    await this.ensureHost();
    const plan = await this.getSession().planDownload(spec.models, { shaderF16 });
    this.plan = plan;
    return plan;
  }

  /** Ask the visitor (the consent dialog answers); resolves true for "Download and run". */
  askConsent(plan: DownloadPlan): Promise<boolean> {
    this.answer?.(false);
    this.consent = plan;
    return new Promise<boolean>((resolve) => {
      this.answer = resolve;
    });
  }

  answerConsent(ok: boolean): void {
    const answer = this.answer;
    this.answer = null;
    this.consent = null;
    if (ok && typeof navigator !== 'undefined' && navigator.storage?.persist) {
      // Ask the browser not to evict large models under storage pressure (it may say no).
      void navigator.storage.persist().catch(() => false);
    }
    answer?.(ok);
  }

  onHubEvent(e: HubEvent): void {
    this.downloads = applyHubEvent(this.downloads, e);
  }

  /** Parameter count the plan read for a repository (custom models the catalog does not know). */
  plannedParams(repoId: string): number | null {
    return this.plan?.models.find((m) => m.repoId === repoId)?.params ?? null;
  }

  // ---- Cache manager ----

  async refreshCache(): Promise<void> {
    if (!this.cacheAvailable) return;
    this.cacheBusy = true;
    try {
      const session = this.getSession();
      if (!session.store) return;
      const [models, total] = await Promise.all([listCachedModels(session.store), cachedBytes(session.store)]);
      this.cached = models;
      this.cacheTotal = total;
      this.cacheError = null;
      const est = navigator.storage?.estimate ? await navigator.storage.estimate() : null;
      const persisted = navigator.storage?.persisted ? await navigator.storage.persisted().catch(() => null) : null;
      this.storage = est ? { usage: est.usage ?? null, quota: est.quota ?? null, persisted } : null;
    } catch (err) {
      this.cacheError = `The model cache could not be read: ${errorText(err)}`;
    } finally {
      this.cacheBusy = false;
    }
  }

  async deleteModel(repoId: string, revision: string): Promise<void> {
    const store = this.getSession().store;
    if (!store) return;
    this.cacheBusy = true;
    try {
      await deleteCachedModel(store, repoId, revision);
    } catch (err) {
      this.cacheError = `${repoId} could not be deleted from the cache: ${errorText(err)}`;
    } finally {
      this.cacheBusy = false;
    }
    await this.refreshCache();
  }

  async clearCache(): Promise<void> {
    const store = this.getSession().store;
    if (!store) return;
    this.cacheBusy = true;
    try {
      await clearModelStore(store);
    } catch (err) {
      this.cacheError = `The model cache could not be cleared: ${errorText(err)}`;
    } finally {
      this.cacheBusy = false;
    }
    await this.refreshCache();
  }
}
