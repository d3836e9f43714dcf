/**
 * The page's state and the one place that talks to the engine worker: it loads the bundled
 * ladder's manifest, keeps the experiment form, starts and cancels runs, and folds the runner's
 * events into progress and finished models. Shaping for charts lives in src/lib/charts.
 */
import { probeGpu, type GpuCapability } from '../lib/capability/webgpu.ts';
import { defaultSpec, paramsOfBundled, parseLadderManifest, type LadderManifest } from '../lib/catalog/ladder.ts';
import { paramsOfHub } from '../lib/catalog/hub-catalog.ts';
import { checkForm, formFromSpec, withTaskFile, type ExperimentForm, type FormCheck } from '../lib/charts/form.ts';
import { MAX_TASK_FILE_CHARS } from '../lib/tasks/imported/data.ts';
import { parseTaskFile } from '../lib/tasks/imported/parse.ts';
import { TaskError } from '../lib/tasks/errors.ts';
import { applyModelRun, applyRunEvent, cancelPending, initialRungs, type Rung } from '../lib/charts/progress.ts';
import { EngineClient, type RunHandle } from '../lib/run/client.ts';
import { anyRunnable, pinSpecToPlan, runParams } from '../lib/run/hub-prepare.ts';
import type { WorkerRunConfig } from '../lib/run/protocol.ts';
import { HubState } from './hub.svelte.ts';
import type { ModelRun, RunEnvironment, RunResult } from '../lib/results/types.ts';
import type { ResumeState } from '../lib/storage/run-store.ts';
import { decodeShareLink, LinkDecodeError, sharedRunToView, type SharedRun } from '../lib/share/index.ts';
import type { Device } from '../lib/spec/schema.ts';
import type { RunEvent } from '../lib/run/runner.ts';
import { APP_VERSION } from '../lib/spec/defaults.ts';
import type { ExperimentSpec } from '../lib/spec/schema.ts';
import { errorText } from './error-text.ts';
import type { ImportedTaskData } from '../lib/tasks/imported/data.ts';
import { taskItemCount } from '../lib/tasks/registry.ts';

export type LabStatus = 'loading' | 'ready' | 'preparing' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'failed' | 'viewing';

/** Where the results on screen came from. */
export type ResultOrigin =
  | { kind: 'live' }
  | { kind: 'link'; shared: SharedRun }
  | { kind: 'file'; name: string }
  | { kind: 'saved'; id: string; name: string };

/** What a re-run is compared with: the run that was on screen when "Re-run here" was pressed. */
export interface Baseline {
  run: RunResult | SharedRun;
  label: string;
}

/** A message about something the visitor did (opened a bad link, imported a bad file). */
export interface Notice {
  tone: 'error' | 'info';
  text: string;
}

/** A spec ready to run with where its model files come from (see Lab.prepareRun). */
export interface PreparedRun {
  spec: ExperimentSpec;
  config: WorkerRunConfig;
}

export type RunStartEnv = Omit<RunEnvironment, 'finishedAt' | 'transformersVersion'>;

export interface RunOptions {
  /** Run this spec instead of the form's. */
  spec?: ExperimentSpec;
  /** Continue a saved run: its record id and what it had finished. */
  resume?: { savedId: string; state: ResumeState };
  /** Compare the new run with this one when it finishes ("Re-run here"). */
  compareWith?: Baseline;
  /** An imported task's examples (a resumed saved run's); by default the form's or the shown run's. */
  taskData?: ImportedTaskData | null;
}

export interface RunListener {
  started?(spec: ExperimentSpec, env: RunStartEnv, options: RunOptions): void;
  event?(e: RunEvent): void;
  finished?(result: RunResult): void;
  failed?(message: string): void;
}

function generatedItemCount(spec: ExperimentSpec, taskData: ImportedTaskData | null = null): number {
  try {
    return taskItemCount(spec.task, { taskData });
  } catch {
    return 0; // an imported task without its file: the count is not known
  }
}

export const LADDER_URL = 'models/arith/ladder.json';


function createWorker(): Worker {
  return new Worker(new URL('../worker/engine.worker.ts', import.meta.url), { type: 'module' });
}

export class Lab {
  ladder = $state.raw<LadderManifest | null>(null);
  capability = $state.raw<GpuCapability | null>(null);
  /** Why the lab cannot start (the manifest failed to load or validate). */
  loadError = $state<string | null>(null);
  form = $state<ExperimentForm | null>(null);
  check = $derived.by<FormCheck | null>(() =>
    this.form && this.ladder && this.capability ? checkForm(this.form, this.ladder, { webgpu: this.capability.backend === 'webgpu', shaderF16: this.capability.shaderF16 }) : null,
  );

  status = $state<LabStatus>('loading');
  /** Error of the whole run (the worker crashed, items could not be made). */
  runError = $state<string | null>(null);
  rungs = $state.raw<Rung[]>([]);
  /** Models finished so far (the charts fill in as each one lands). */
  models = $state.raw<ModelRun[]>([]);
  result = $state.raw<RunResult | null>(null);
  /** The spec of the run on screen (the form may have changed since). */
  runSpec = $state.raw<ExperimentSpec | null>(null);
  elapsedMs = $state<number | null>(null);

  /** Where the results on screen came from; 'live' for a run of this page. */
  origin = $state.raw<ResultOrigin>({ kind: 'live' });
  /** The run the one on screen is compared with (after "Re-run here"). */
  baseline = $state.raw<Baseline | null>(null);
  notice = $state.raw<Notice | null>(null);

  private client: EngineClient | null = null;
  private listeners: RunListener[] = [];
  private handle: RunHandle | null = null;

  get running(): boolean {
    return this.status === 'running' || this.status === 'cancelling';
  }

  /** A run is being prepared or is running: no other may start. */
  get busy(): boolean {
    return this.running || this.status === 'preparing';
  }

  async init(): Promise<void> {
    const [ladder, capability] = await Promise.all([this.loadLadder(), probeGpu()]);
    this.capability = capability;
    if (!ladder) {
      this.status = 'failed';
      return;
    }
    this.ladder = ladder;
    this.form = formFromSpec(defaultSpec(ladder, capability.backend));
    this.status = 'ready';
  }

  private async loadLadder(): Promise<LadderManifest | null> {
    const url = new URL(LADDER_URL, document.baseURI).href;
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status} for ${url}`);
      return parseLadderManifest(await res.json());
    } catch (err) {
      this.loadError = `The bundled model ladder could not be loaded: ${errorText(err)}`;
      return null;
    }
  }

  /**
   * The examples of a spec's imported task: the form's open task file or the run on screen's
   * embedded one, whichever has the spec's hash (both were checked against it when opened).
   */
  taskDataFor(spec: ExperimentSpec): ImportedTaskData | null {
    const task = spec.task;
    if (task.kind !== 'imported') return null;
    const file = this.form?.taskFile;
    // A plain copy: the form's state is a reactive proxy, which cannot be posted to the worker.
    if (file && file.hash === task.hash) return $state.snapshot(file.data) as ImportedTaskData;
    const shown = this.result;
    if (shown?.task_data && shown.spec.task.kind === 'imported' && shown.spec.task.hash === task.hash) return shown.task_data;
    return null;
  }

  /** Why the last task file could not be opened (shown next to the file picker), or null. */
  taskFileError = $state<string | null>(null);

  /**
   * Open a task file the visitor picked or dropped (BIG-bench JSON or JSONL): parsed, checked
   * and hashed here; the form switches to it. A bad file changes nothing but the message.
   */
  async openTaskFile(file: { name: string; size: number; text(): Promise<string> }): Promise<boolean> {
    const name = file.name.slice(0, 200);
    if (file.size > MAX_TASK_FILE_CHARS) {
      this.taskFileError = `${name} is ${(file.size / 2 ** 20).toFixed(1)} MB; the lab opens task files up to ${MAX_TASK_FILE_CHARS / 2 ** 20} MB.`;
      return false;
    }
    try {
      const parsed = parseTaskFile(await file.text(), name);
      if (this.form) this.form = withTaskFile(this.form, { ...parsed, fileName: name });
      this.taskFileError = null;
      return true;
    } catch (err) {
      this.taskFileError = `${name}: ${err instanceof TaskError ? err.message : `could not be read (${errorText(err)}).`}`;
      return false;
    }
  }

  paramsOf(modelId: string): number | null {
    return (this.ladder ? paramsOfBundled(this.ladder, modelId) : null) ?? paramsOfHub(modelId) ?? this.hub.plannedParams(modelId);
  }

  /**
   * Everything a run needs beyond its spec: where model files come from and each model's
   * parameter count. Hub models (issue 7) also plan downloads, ask consent and pin revisions
   * here, so the returned spec can differ from the one passed in. Returns null when the run must
   * not start (the visitor declined, or nothing can run); this.runError then says why.
   */
  protected async prepareRun(spec: ExperimentSpec, taskData: ImportedTaskData | null = this.taskDataFor(spec)): Promise<PreparedRun | null> {
    const ladder = this.ladder;
    if (!ladder) return null;
    const bundledParams = (id: string) => paramsOfBundled(ladder, id);
    const config: WorkerRunConfig = {
      modelBaseUrl: new URL('models/', document.baseURI).href,
      wasmPaths: {
        mjs: new URL('ort/ort-wasm-simd-threaded.asyncify.mjs', document.baseURI).href,
        wasm: new URL('ort/ort-wasm-simd-threaded.asyncify.wasm', document.baseURI).href,
      },
      remoteHost: null,
      params: runParams(spec, null, bundledParams),
      taskData,
    };
    if (spec.task.kind === 'imported' && !config.taskData) {
      this.runError = `This experiment uses the task file "${spec.task.name}", which is not open: open the task file (or the run's JSON file, which embeds it) and run again.`;
      return null;
    }
    if (!spec.models.some((m) => m.source === 'hub')) {
      this.hub.plan = null;
      return { spec, config };
    }
    // Hub models: resolve and pin each commit, check architecture and dtype, size every file
    // (nothing is downloaded yet), then ask before a download over the threshold.
    this.connectHubEvents();
    const plan = await this.hub.planRun(spec, this.capability?.shaderF16);
    if (!anyRunnable(spec, plan)) {
      this.runError = `No model of this run can be used: ${plan.failed.map((f) => f.message).join(' ')}`;
      return null;
    }
    if (plan.needsConsent && !(await this.hub.askConsent(plan))) return null;
    // Models the plan could not plan stay in the run: their rungs fail with the plan's reason.
    const pinned = pinSpecToPlan(spec, plan);
    return { spec: pinned, config: { ...config, params: runParams(pinned, plan, bundledParams), hub: { host: plan.host, plan } } };
  }

  /**
   * Run an experiment: the form's by default, or a given spec (re-run of a link, a file or a
   * saved run). `resume` continues a saved run that a closed page left unfinished.
   */
  async run(options: RunOptions = {}): Promise<void> {
    const requested = options.spec ?? this.check?.spec;
    if (!requested || !this.ladder || this.busy) return;
    const previous = this.status;
    this.status = 'preparing';
    this.runError = null;
    let prepared: PreparedRun | null;
    try {
      prepared = await this.prepareRun(requested, options.taskData ?? this.taskDataFor(requested));
    } catch (err) {
      this.runError = errorText(err);
      prepared = null;
    }
    if (!prepared) {
      // Declined: back to where we were (a previous run's failure message was cleared above).
      this.status = this.runError ? 'failed' : previous === 'failed' ? 'ready' : previous;
      return;
    }
    this.startRun(prepared, options);
  }

  private startRun({ spec, config }: PreparedRun, options: RunOptions): void {
    this.client ??= new EngineClient(createWorker);
    const params = config.params;
    const backend = spec.models[0].device === 'webgpu' ? 'webgpu' : 'wasm';
    const cap = this.capability;
    this.runSpec = spec;
    this.origin = { kind: 'live' };
    this.baseline = options.compareWith ?? null;
    this.rungs = initialRungs(spec.models, (id) => params[id] ?? null, generatedItemCount(spec, config.taskData ?? null));
    this.models = [];
    this.result = null;
    this.runError = null;
    this.elapsedMs = null;
    this.status = 'running';
    const t0 = performance.now();
    const resume = options.resume?.state;
    if (resume) {
      this.models = resume.completed;
      this.rungs = resume.completed.reduce(applyModelRun, this.rungs);
    }
    const env: RunStartEnv = {
      app: APP_VERSION,
      runtime: navigator.userAgent,
      backend,
      adapter: backend === 'webgpu' && cap ? { vendor: cap.vendor, architecture: cap.architecture, shaderF16: cap.shaderF16 } : null,
      startedAt: new Date().toISOString(),
    };
    this.listeners.forEach((l) => l.started?.(spec, env, { ...options, taskData: config.taskData ?? null }));
    const handle = this.client.start({
      spec,
      config,
      env,
      completed: resume?.completed,
      partialItems: resume?.partialItems,
      onEvent: (e) => this.onEvent(handle, e),
    });
    this.handle = handle;
    handle.result.then(
      (result) => {
        if (this.handle !== handle) return;
        this.elapsedMs = performance.now() - t0;
        this.result = result;
        this.models = result.models;
        this.rungs = result.models.reduce(applyModelRun, this.rungs);
        this.status = result.models.some((m) => m.status === 'cancelled') ? 'cancelled' : 'done';
        this.handle = null;
        this.listeners.forEach((l) => l.finished?.(result));
      },
      (err: unknown) => {
        if (this.handle !== handle) return;
        this.elapsedMs = performance.now() - t0;
        this.runError = errorText(err);
        this.rungs = cancelPending(this.rungs);
        this.status = 'failed';
        this.handle = null;
        this.listeners.forEach((l) => l.failed?.(this.runError ?? ''));
      },
    );
  }

  /**
   * Show a run that was not made by this page (a link, a file, a saved run) as if it had just
   * finished: same charts, tables and item explorer. Refused while a run is in progress.
   */
  showResult(result: RunResult, origin: ResultOrigin): boolean {
    if (this.busy) {
      this.notice = { tone: 'error', text: 'A run is in progress: cancel it or wait for it to finish before opening another run.' };
      return false;
    }
    const paramsOf = (id: string) => result.models.find((m) => m.id === id)?.params ?? null;
    this.runSpec = result.spec;
    this.result = result;
    this.models = result.models;
    this.rungs = result.models.reduce(applyModelRun, initialRungs(result.spec.models, paramsOf, generatedItemCount(result.spec, result.task_data ?? null)));
    this.origin = origin;
    this.baseline = null;
    this.runError = null;
    this.elapsedMs = null;
    this.status = 'viewing';
    return true;
  }

  /**
   * Open a share link's fragment ("#r1.…"): its results appear at once; nothing is downloaded
   * and nothing runs until the visitor presses "Re-run here". A bad link leaves the page as it
   * was and says why.
   */
  openLink(fragment: string): boolean {
    let shared: SharedRun;
    try {
      shared = decodeShareLink(fragment);
    } catch (err) {
      const why = err instanceof LinkDecodeError ? err.message : `unexpected error (${errorText(err)})`;
      this.notice = { tone: 'error', text: `This share link cannot be opened: ${why} Your saved runs are untouched.` };
      return false;
    }
    const shown = this.showResult(sharedRunToView(shared), { kind: 'link', shared });
    if (shown) this.notice = null;
    const task = shared.spec.task;
    if (shown && task.kind === 'imported' && !shared.taskData) {
      this.notice = {
        tone: 'info',
        text: `This run used the task file “${task.name}” (SHA-256 ${task.hash.slice(0, 12)}…), whose examples did not fit the link. Open that file under Task → Task file to see the prompts and re-run it; only a file with the same content is accepted.`,
      };
    }
    return shown;
  }

  /** "Re-run here": the spec on screen, on this device, compared with what was on screen. */
  async rerun(device: Device): Promise<void> {
    const result = this.result;
    if (!result || this.busy) return;
    const origin = this.origin;
    const run = origin.kind === 'link' ? origin.shared : result;
    const label = origin.kind === 'link' ? 'shared run' : origin.kind === 'file' ? `file ${origin.name}` : origin.kind === 'saved' ? `saved run “${origin.name}”` : 'previous run';
    const spec: ExperimentSpec = { ...result.spec, models: result.spec.models.map((m) => ({ ...m, device })) };
    await this.run({ spec, compareWith: { run, label } });
  }

  /** Observe runs (saved-run recording, comparisons); returns a function that stops observing. */
  addRunListener(listener: RunListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  private onEvent(handle: RunHandle | undefined, e: RunEvent): void {
    if (handle && this.handle && this.handle !== handle) return;
    this.rungs = applyRunEvent(this.rungs, e);
    if (e.type === 'model-done') this.models = [...this.models.filter((m) => m.id !== e.model.id), e.model];
    this.listeners.forEach((l) => l.event?.(e));
  }

  cancel(): void {
    if (this.status !== 'running' || !this.handle) return;
    this.status = 'cancelling';
    this.handle.cancel();
  }

  // ---- Hub models (issue 7): planning, consent, download progress, cache manager ----

  /** Probing, plans, consent, download progress and the model cache (see hub.svelte.ts). */
  readonly hub = new HubState();
  private hubEventsClient: EngineClient | null = null;
  /** The cache manager shows what a run stored (or what a failed download did not). */
  private readonly refreshCacheAfterRuns = this.addRunListener({
    finished: () => void this.hub.refreshCache(),
    failed: () => void this.hub.refreshCache(),
  });

  /** Fold the worker's download events into hub.downloads (once per engine client). */
  private connectHubEvents(): void {
    this.client ??= new EngineClient(createWorker);
    if (this.hubEventsClient === this.client) return;
    this.client.onHubEvent((_runId, e) => this.hub.onHubEvent(e));
    this.hubEventsClient = this.client;
  }
}
