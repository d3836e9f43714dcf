/**
 * The page's state and the one place that talks to the engine worker: it loads the bundled
 * ladder's manifest, keeps the experiment form, starts and cancels runs, and folds the runner's
 * events into progress and finished models. Shaping for charts lives in src/lib/charts.
 */
import { probeGpu, type GpuCapability } from '../lib/capability/webgpu.ts';
import { browserStorage, runBackendProbe, withStoredChoice } from '../lib/capability/backend-probe.ts';
import { workerConfig } from './worker-config.ts';
import {
  BUNDLED_LADDERS,
  bundledLadderOf,
  bundledLadderUrl,
  DEFAULT_LADDER,
  defaultModels,
  defaultSpec,
  ladderModelId,
  ladderPositionOf,
  paramsOfBundled,
  parseLadderManifest,
  type BundledLadderId,
  type LadderManifest,
} from '../lib/catalog/ladder.ts';
import { paramsOfHub } from '../lib/catalog/hub-catalog.ts';
import { checkForm, DEFAULT_MEMORY_BUDGET_MB, formFromSpec, withTaskFile, type ExperimentForm, type FormCheck } from '../lib/charts/form.ts';
import { MAX_TASK_FILE_CHARS } from '../lib/tasks/imported/data.ts';
import { parseTaskFile } from '../lib/tasks/imported/parse.ts';
import { TaskError } from '../lib/tasks/errors.ts';
import { applyModelRun, applyRunEvent, cancelPending, initialRungs, type Rung } from '../lib/charts/progress.ts';
import { EngineClient, EngineWorkerError, type RunHandle } from '../lib/run/client.ts';
import { IDLE, isActive, transition, type LifecycleEvent, type RunLifecycle } from '../lib/run/lifecycle.ts';
import { anyRunnable, pinSpecToPlan, runParams } from '../lib/run/hub-prepare.ts';
import type { WorkerRunConfig } from '../lib/run/protocol.ts';
import { HubState } from './hub.svelte.ts';
import type { ModelRun, RunEnvironment, RunResult } from '../lib/results/types.ts';
import type { ResumeState } from '../lib/storage/run-store.ts';
import { decodeShareLink, LinkDecodeError, sharedRunToView, type SharedRun } from '../lib/share/index.ts';
import { parseRunFile } from '../lib/share/run-file.ts';
import { compareWithReference, sameExperiment, type ReferenceAgreement } from '../lib/results/agreement.ts';
import type { Device } from '../lib/spec/schema.ts';
import type { RunEvent } from '../lib/run/runner.ts';
import { APP_VERSION } from '../lib/spec/defaults.ts';
import type { ExperimentSpec } from '../lib/spec/schema.ts';
import { errorText } from './error-text.ts';
import type { ImportedTaskData } from '../lib/tasks/imported/data.ts';
import { taskItemCount } from '../lib/tasks/registry.ts';

/** The status line: the run lifecycle's phase (src/lib/run/lifecycle.ts) while the page shows its own run. */
export type LabStatus = 'loading' | 'ready' | 'preparing' | 'running' | 'cancelling' | 'finishing' | 'done' | 'cancelled' | 'failed' | 'viewing';

/** Where the results on screen came from. */
export type ResultOrigin =
  | { kind: 'live' }
  | { kind: 'link'; shared: SharedRun }
  | { kind: 'file'; name: string }
  | { kind: 'saved'; id: string; name: string }
  /** The default experiment's results computed in Node (scripts/reference.ts), shown at first paint. */
  | { kind: 'reference'; date: string };

/** The reference run shipped with the app: the default experiment, computed in Node on the CPU. */
export interface ReferenceRun {
  result: RunResult;
  /** The day it was computed (YYYY-MM-DD). */
  date: string;
}

/** How a finished run of the reference's experiment agrees with the reference. */
export interface ReferenceComparison {
  /** The run compared (the banner shows the comparison while this run is on screen). */
  result: RunResult;
  agreement: ReferenceAgreement;
}

/** Where the reference results are served, relative to the app's base URL (written by `npm run reference`). */
export const REFERENCE_URL = 'reference/default-run.json';

/**
 * The reference run, or null when it cannot be had. Not having it is not an error the visitor
 * needs to see (the page works as before: empty charts until Run), so it is only logged.
 */
async function loadReference(): Promise<ReferenceRun | null> {
  const url = new URL(REFERENCE_URL, document.baseURI).href;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status} for ${url}`);
    const result = parseRunFile(await res.text());
    return { result, date: result.env.startedAt.slice(0, 10) };
  } catch (err) {
    console.warn(`Emergence Lab: the reference results could not be loaded, so the charts stay empty until Run (${errorText(err)}).`);
    return null;
  }
}

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

/**
 * Observers of runs. A returned promise holds the page back until it settles, so that what the
 * page shows never runs ahead of what is saved: the run starts once its record exists, a model
 * shows done once its record is committed, the run shows done/cancelled/failed once its final
 * record is.
 */
export interface RunListener {
  started?(spec: ExperimentSpec, env: RunStartEnv, options: RunOptions): void | Promise<void>;
  event?(e: RunEvent): void | Promise<void>;
  /** The engine's result is back: save it ('cancelled' when Cancel stopped a model). */
  finishing?(result: RunResult, outcome: 'done' | 'cancelled'): void | Promise<void>;
  /** Saved and shown. */
  finished?(result: RunResult): void;
  failed?(message: string): void | Promise<void>;
}

/** What the page shows of its own run; kept aside while the visitor looks at another run. */
export interface LiveView {
  status: LabStatus;
  rungs: Rung[];
  models: ModelRun[];
  result: RunResult | null;
  runSpec: ExperimentSpec | null;
  elapsedMs: number | null;
  runError: string | null;
  baseline: Baseline | null;
  form: ExperimentForm | null;
}

/** Asked before another run replaces the one in progress on screen. */
export interface OpenRequest {
  /** "a shared run", "the file “x.json”", "the saved run “y”". */
  what: string;
  open: () => void;
}

export type OpenAnswer = 'background' | 'cancel' | 'stay';

function describeOrigin(origin: ResultOrigin): string {
  if (origin.kind === 'link') return 'a shared run';
  if (origin.kind === 'file') return `the file “${origin.name}”`;
  if (origin.kind === 'saved') return `the saved run “${origin.name}”`;
  if (origin.kind === 'reference') return 'the reference run';
  return 'a run';
}

function generatedItemCount(spec: ExperimentSpec, taskData: ImportedTaskData | null = null): number {
  try {
    return taskItemCount(spec.task, { taskData });
  } catch {
    return 0; // an imported task without its file: the count is not known
  }
}

/** The default ladder's manifest (the lab cannot start without it); the others: bundledLadderUrl. */
export const LADDER_URL = bundledLadderUrl(DEFAULT_LADDER);


function createWorker(): Worker {
  return new Worker(new URL('../worker/engine.worker.ts', import.meta.url), { type: 'module' });
}

export class Lab {
  /** The bundled ladders' manifests that loaded (all are fetched at start; each is small). */
  ladders = $state.raw<Partial<Record<BundledLadderId, LadderManifest>>>({});
  /** Why a bundled ladder other than the default could not be loaded (shown when it is picked). */
  ladderErrors = $state.raw<Partial<Record<BundledLadderId, string>>>({});
  /** The bundled ladder the form runs (selectLadder). */
  ladderId = $state<BundledLadderId>(DEFAULT_LADDER);
  /** The form's ladder: its model list, defaults and validation. */
  formLadder = $derived<LadderManifest | null>(this.ladders[this.ladderId] ?? null);
  /**
   * The ladder of the run on screen (a saved run, file or link of arith-steps shows its
   * checkpoints on training compute), else the form's: charts and parameter lookups read this.
   */
  ladder = $derived.by<LadderManifest | null>(() => {
    const shown = this.runSpec ? bundledLadderOf(this.runSpec.models) : null;
    return (shown ? this.ladders[shown] : undefined) ?? this.formLadder;
  });
  capability = $state.raw<GpuCapability | null>(null);
  /** Why the lab cannot start (the manifest failed to load or validate). */
  loadError = $state<string | null>(null);
  form = $state<ExperimentForm | null>(null);
  check = $derived.by<FormCheck | null>(() =>
    this.form && this.formLadder && this.capability ? checkForm(this.form, this.formLadder, { webgpu: this.capability.webgpuUsable, shaderF16: this.capability.shaderF16 }) : null,
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

  /** The page's run, from which the status line, the rungs and the saved record follow. */
  lifecycle = $state.raw<RunLifecycle>(IDLE);
  /** The page's run while the visitor looks at another run ("keep it running in the background"). */
  background = $state.raw<LiveView | null>(null);
  /** Asked before a link, a file or a saved run replaces a run in progress. */
  openRequest = $state.raw<OpenRequest | null>(null);
  /** The form shows the spec of the run on screen (a link, a file, a saved run) until "Edit". */
  formLocked = $state(false);
  /** The last run failed because the engine worker did (crash, unreadable reply, silence). */
  canRetryOnWasm = $state(false);
  /** Settles when the run in progress has reached a final state. */
  private settled: Promise<void> = Promise.resolve();

  /** The page's run is running (cancelling included), on screen or in the background. */
  get running(): boolean {
    return this.lifecycle.phase === 'running';
  }

  /** A run is being prepared, runs or is being saved: no other may start. */
  get busy(): boolean {
    return isActive(this.lifecycle);
  }

  private move(e: LifecycleEvent): void {
    this.lifecycle = transition(this.lifecycle, e);
  }

  /** Write to what shows the page's run: the screen, or the copy kept while it runs in the background. */
  private setView(patch: Partial<LiveView>): void {
    if (this.background) this.background = { ...this.background, ...patch };
    else Object.assign(this, patch);
  }

  private get view(): LiveView {
    return this.background ?? this;
  }

  async init(): Promise<void> {
    const probing = probeGpu();
    // The reference results show as soon as they and the ladder are here, before the GPU probe ends.
    const [ladder, reference] = await Promise.all([this.loadLadder(), loadReference()]);
    if (ladder && reference) this.acceptReference(ladder, reference);
    // The recommended backend: a stored probe of this device, else the adapter's rules (issue 13).
    const capability = withStoredChoice(await probing, browserStorage());
    this.capability = capability;
    if (!ladder) {
      this.status = 'failed';
      return;
    }
    this.form = formFromSpec(defaultSpec(ladder, capability.backend));
    this.status = 'ready';
    if (capability.choice.source === 'unmeasured') void this.measureBackends();
  }

  /** A backend probe is running (the capability panel says so); its error, if it failed. */
  probing = $state(false);
  probeError = $state<string | null>(null);

  /**
   * Time both backends (issue 13) and recommend the faster; the form follows unless the visitor
   * already picked a backend or a run has started.
   */
  async measureBackends(): Promise<void> {
    const cap = this.capability;
    if (!cap?.webgpuUsable || !this.ladder || this.probing || this.busy) return;
    this.probing = true;
    this.probeError = null;
    try {
      this.client ??= new EngineClient(createWorker);
      const client = this.client;
      // A run started meanwhile shares the machine: its timings would be unfair, so not remembered.
      const startedWith = this.lifecycle;
      const storage = browserStorage();
      const remember = storage && { getItem: (k: string) => storage.getItem(k), setItem: (k: string, v: string) => (this.lifecycle === startedWith ? storage.setItem(k, v) : undefined) };
      const updated = await runBackendProbe(cap, this.ladder, (ref, items, config) => client.score(ref, items, config), workerConfig(), remember);
      if (this.form && !this.busy && this.form.backend === cap.backend) this.form.backend = updated.backend;
      this.capability = updated;
    } catch (err) {
      this.probeError = errorText(err);
    } finally {
      this.probing = false;
    }
  }

  // ---- Reference results at first paint (issue 13) ----

  /** The reference run shipped with the app, once loaded and checked against the default experiment. */
  reference = $state.raw<ReferenceRun | null>(null);
  /** The last finished run of the reference's experiment, compared item by item with the reference. */
  referenceComparison = $state.raw<ReferenceComparison | null>(null);

  /**
   * Show the reference when it is the default experiment's (ignoring devices: it ran on the CPU,
   * the page runs on WASM or WebGPU). A reference left behind by a changed default is not shown:
   * its charts would not be what Run computes.
   */
  private acceptReference(ladder: LadderManifest, reference: ReferenceRun): void {
    if (!sameExperiment(reference.result.spec, defaultSpec(ladder, 'wasm'))) {
      console.warn('Emergence Lab: the reference results are of another experiment than the default one (run npm run reference); not shown.');
      return;
    }
    this.reference = reference;
    const status = this.status;
    // Shown like any run on screen; the status stays what it was (loading, then ready): the form
    // holds the default experiment, unlocked, and Run runs it.
    if (this.showResult(reference.result, { kind: 'reference', date: reference.date })) this.status = status;
  }

  /** The reference, when a run of this spec can be compared with it (same experiment, ignoring devices). */
  referenceFor(spec: ExperimentSpec): ReferenceRun | null {
    const reference = this.reference;
    return reference && sameExperiment(reference.result.spec, spec) ? reference : null;
  }

  /**
   * Models of the reference standing in, on the charts, for models of the page's run that have
   * not finished yet (marked there); empty when no run of the reference's experiment is on screen.
   */
  get referencePending(): string[] {
    const reference = this.reference;
    if (!reference || this.origin.kind !== 'live') return [];
    const standIns = new Set(reference.result.models);
    return this.models.filter((m) => standIns.has(m)).map((m) => m.id);
  }

  /** The page's models without the reference's stand-ins (a run that failed shows only what it scored). */
  private withoutReference(models: ModelRun[]): ModelRun[] {
    const standIns = new Set(this.reference?.result.models ?? []);
    return models.filter((m) => !standIns.has(m));
  }

  /** When a run of the reference's experiment finishes (or is cancelled), compare it item by item. */
  private readonly compareWithReferenceAfterRuns = this.addRunListener({
    finished: (result) => {
      const reference = this.referenceFor(result.spec);
      if (reference) this.referenceComparison = { result, agreement: compareWithReference(reference.result, result) };
    },
  });

  /** Load every bundled ladder; returns the default one (null, with loadError, when it failed). */
  private async loadLadder(): Promise<LadderManifest | null> {
    const fetchOne = async (id: BundledLadderId): Promise<LadderManifest> => {
      const url = new URL(bundledLadderUrl(id), document.baseURI).href;
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status} for ${url}`);
      return parseLadderManifest(await res.json());
    };
    const loaded = await Promise.allSettled(BUNDLED_LADDERS.map((l) => fetchOne(l.id)));
    const ladders: Partial<Record<BundledLadderId, LadderManifest>> = {};
    const errors: Partial<Record<BundledLadderId, string>> = {};
    loaded.forEach((r, i) => {
      const id = BUNDLED_LADDERS[i].id;
      if (r.status === 'fulfilled') ladders[id] = r.value;
      else errors[id] = `The ladder “${BUNDLED_LADDERS[i].label}” could not be loaded: ${errorText(r.reason)}`;
    });
    this.ladders = ladders;
    this.ladderErrors = errors;
    const main = ladders[DEFAULT_LADDER] ?? null;
    const failed = loaded[BUNDLED_LADDERS.findIndex((l) => l.id === DEFAULT_LADDER)];
    if (!main && failed.status === 'rejected') this.loadError = `The bundled model ladder could not be loaded: ${errorText(failed.reason)}`;
    return main;
  }

  /**
   * Run another bundled ladder: the form's models become its default experiment (on the
   * checkpoint ladder, one model's checkpoints); the task settings stay.
   */
  selectLadder(id: BundledLadderId): void {
    const ladder = this.ladders[id];
    this.ladderId = id;
    if (ladder && this.form) this.form = { ...($state.snapshot(this.form) as ExperimentForm), source: 'bundled', models: defaultModels(ladder).map((m) => ladderModelId(ladder, m)) };
  }

  /** The loaded bundled ladder a spec's models come from, or null (Hub models, unknown ladder). */
  private ladderOfSpec(spec: { models: readonly { id: string; source: string }[] }): LadderManifest | null {
    const id = bundledLadderOf(spec.models);
    return id ? (this.ladders[id] ?? null) : null;
  }

  /** Bundled models of a run carry their ladder position (older files and links do not: added from the ladder). */
  private withLadderPositions(result: RunResult): RunResult {
    const ladder = this.ladderOfSpec(result.spec);
    if (!ladder || result.models.every((m) => m.scale)) return result;
    return {
      ...result,
      models: result.models.map((m) => {
        const scale = m.scale ?? ladderPositionOf(ladder, m.id);
        return scale ? { ...m, scale } : m;
      }),
    };
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
    const ladder = this.ladderOfSpec({ models: [{ id: modelId, source: 'bundled' }] });
    return (ladder ? paramsOfBundled(ladder, modelId) : null) ?? paramsOfHub(modelId) ?? this.hub.plannedParams(modelId);
  }

  /**
   * Everything a run needs beyond its spec: where model files come from and each model's
   * parameter count. Hub models (issue 7) also plan downloads, ask consent and pin revisions
   * here, so the returned spec can differ from the one passed in. Returns null when the run must
   * not start (the visitor declined, or nothing can run); this.runError then says why.
   */
  protected async prepareRun(spec: ExperimentSpec, taskData: ImportedTaskData | null = this.taskDataFor(spec)): Promise<PreparedRun | null> {
    // The spec's own ladder (a re-run of an arith-steps link while the form shows arith).
    const ladder = this.ladderOfSpec(spec) ?? this.formLadder;
    if (!ladder) return null;
    const bundledParams = (id: string) => paramsOfBundled(ladder, id);
    const scales = Object.fromEntries(spec.models.flatMap((m) => {
      const position = m.source === 'bundled' ? ladderPositionOf(ladder, m.id) : null;
      return position ? [[m.id, position] as const] : [];
    }));
    const config: WorkerRunConfig = {
      ...workerConfig(),
      params: runParams(spec, null, bundledParams),
      scales,
      taskData,
      logitsBudgetBytes: (this.form?.memoryBudgetMb ?? DEFAULT_MEMORY_BUDGET_MB) * 2 ** 20,
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
    this.move({ type: 'prepare' });
    this.status = 'preparing';
    this.runError = null;
    this.canRetryOnWasm = false;
    let prepared: PreparedRun | null;
    try {
      prepared = await this.prepareRun(requested, options.taskData ?? this.taskDataFor(requested));
    } catch (err) {
      this.runError = errorText(err);
      prepared = null;
    }
    if (!prepared) {
      // Declined: back to where we were (a previous run's failure message was cleared above).
      if (this.runError) this.move({ type: 'fail', message: this.runError });
      else this.move({ type: 'declined' });
      this.status = this.runError ? 'failed' : previous === 'failed' ? 'ready' : previous;
      return;
    }
    await this.startRun(prepared, options);
  }

  private async startRun({ spec, config }: PreparedRun, options: RunOptions): Promise<void> {
    this.client ??= new EngineClient(createWorker);
    const params = config.params;
    const backend = spec.models[0].device === 'webgpu' ? 'webgpu' : 'wasm';
    const cap = this.capability;
    this.background = null;
    this.openRequest = null;
    this.formLocked = false;
    this.runSpec = spec;
    this.origin = { kind: 'live' };
    this.baseline = options.compareWith ?? null;
    this.rungs = initialRungs(spec.models, (id) => params[id] ?? null, generatedItemCount(spec, config.taskData ?? null));
    // A run of the reference's experiment starts from the reference: each model's results are
    // replaced as the visitor's own land (referencePending marks the ones still standing in).
    this.models = this.referenceFor(spec) && !options.resume ? this.referenceFor(spec)!.result.models : [];
    this.result = null;
    this.runError = null;
    this.elapsedMs = null;
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
    // The saved record exists before anything is scored.
    await Promise.all(this.listeners.map((l) => l.started?.(spec, env, { ...options, taskData: config.taskData ?? null })));
    this.move({ type: 'start' });
    this.status = 'running';
    const t0 = performance.now();
    // Events reach listeners at once (batches are saved without delay) and the screen in order,
    // each after the saves of those before it: a model shows done once its record is committed.
    let shown: Promise<unknown> = Promise.resolve();
    const handle = this.client.start({
      spec,
      config,
      env,
      completed: resume?.completed,
      partialItems: resume?.partialItems,
      onEvent: (e) => {
        const at = performance.now(); // progress times are of arrival, not of display after saves
        const saves = this.listeners.map((l) => l.event?.(e));
        shown = Promise.all([shown, ...saves]).then(() => this.onEvent(handle, e, at));
      },
    });
    this.handle = handle;
    this.settled = handle.result.then(
      async (result) => {
        await shown;
        if (this.handle !== handle) return;
        this.move({ type: 'result', cancelled: result.models.some((m) => m.status === 'cancelled') });
        const outcome = this.lifecycle.outcome ?? 'done';
        this.setView({ status: 'finishing', elapsedMs: performance.now() - t0, result, models: result.models, rungs: result.models.reduce(applyModelRun, this.view.rungs) });
        await Promise.all(this.listeners.map((l) => l.finishing?.(result, outcome)));
        this.move({ type: 'committed' });
        this.handle = null;
        this.setView({ status: outcome });
        this.listeners.forEach((l) => l.finished?.(result));
      },
      async (err: unknown) => {
        await shown;
        if (this.handle !== handle) return;
        const message = errorText(err);
        this.canRetryOnWasm = err instanceof EngineWorkerError;
        this.setView({ elapsedMs: performance.now() - t0, runError: message, rungs: cancelPending(this.view.rungs), models: this.withoutReference(this.view.models) });
        await Promise.all(this.listeners.map((l) => l.failed?.(message)));
        this.move({ type: 'fail', message });
        this.handle = null;
        this.setView({ status: 'failed' });
      },
    );
  }

  /**
   * Show a run that was not made by this page (a link, a file, a saved run) as if it had just
   * finished: same charts, tables and item explorer; a link's spec goes into the form (locked
   * until the visitor edits, so Run and Re-run never differ silently). While a run is in progress the
   * visitor is asked first (openRequest); `onShown` runs once it is shown.
   */
  showResult(result: RunResult, origin: ResultOrigin, onShown?: () => void): boolean {
    if (this.busy && !this.background) {
      this.openRequest = {
        what: describeOrigin(origin),
        open: () => {
          if (this.showResult(result, origin)) onShown?.();
        },
      };
      return false;
    }
    result = this.withLadderPositions(result);
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
    if (origin.kind === 'link') {
      // The visitor sees what Run would run: the link's spec, not the default one (issue 18).
      const task = result.spec.task;
      const taskFile = task.kind === 'imported' && result.task_data ? { data: result.task_data, hash: task.hash, fileName: `${task.name} (from the link)` } : null;
      this.form = formFromSpec(result.spec, undefined, taskFile);
      const ladderId = bundledLadderOf(result.spec.models);
      if (ladderId) this.ladderId = ladderId;
      this.formLocked = true;
    }
    onShown?.();
    return true;
  }

  /**
   * The visitor's answer to "A run is in progress": keep it running in the background (and
   * open the other run), cancel it (saved as cancelled, then open), or stay.
   */
  async answerOpenRequest(answer: OpenAnswer): Promise<void> {
    const request = this.openRequest;
    this.openRequest = null;
    if (!request || answer === 'stay') return;
    if (answer === 'cancel') {
      this.cancel();
      await this.settled;
    } else if (this.busy && !this.background) {
      this.background = { status: this.status, rungs: this.rungs, models: this.models, result: this.result, runSpec: this.runSpec, elapsedMs: this.elapsedMs, runError: this.runError, baseline: this.baseline, form: this.form ? ($state.snapshot(this.form) as ExperimentForm) : null };
    }
    request.open();
  }

  /** Back to the page's own run (running in the background, or finished there). */
  showLiveRun(): void {
    const live = this.background;
    if (!live) return;
    this.background = null;
    Object.assign(this, live);
    this.origin = { kind: 'live' };
    this.formLocked = false;
  }

  /** The visitor edits the settings of the run on screen: they become the visitor's own. */
  unlockForm(): void {
    this.formLocked = false;
  }

  /** After the engine worker failed: the same spec again, every model on WASM, with a fresh worker. */
  async retryOnWasm(): Promise<void> {
    const spec = this.runSpec;
    if (!spec || this.busy) return;
    await this.run({ spec: { ...spec, models: spec.models.map((m) => ({ ...m, device: 'wasm' as const })) } });
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
    return this.showResult(sharedRunToView(shared), { kind: 'link', shared }, () => {
      this.notice = null;
      const task = shared.spec.task;
      if (task.kind === 'imported' && !shared.taskData) {
        this.notice = {
          tone: 'info',
          text: `This run used the task file “${task.name}” (SHA-256 ${task.hash.slice(0, 12)}…), whose examples did not fit the link. Open that file under Task → Task file to see the prompts and re-run it; only a file with the same content is accepted.`,
        };
      }
    });
  }

  /** "Re-run here": the spec on screen, on this device, compared with what was on screen. */
  async rerun(device: Device): Promise<void> {
    const result = this.result;
    if (!result || this.busy) return;
    const origin = this.origin;
    const run = origin.kind === 'link' ? origin.shared : result;
    const label = origin.kind === 'link' ? 'shared run' : origin.kind === 'file' ? `file ${origin.name}` : origin.kind === 'saved' ? `saved run “${origin.name}”` : origin.kind === 'reference' ? 'reference run' : 'previous run';
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

  private onEvent(handle: RunHandle, e: RunEvent, at: number): void {
    if (this.handle !== handle) return;
    const view = this.view;
    const models = e.type === 'model-done' ? [...view.models.filter((m) => m.id !== e.model.id), e.model] : view.models;
    this.setView({ rungs: applyRunEvent(view.rungs, e, at), models });
  }

  cancel(): void {
    if (this.lifecycle.phase !== 'running' || !this.handle) return;
    this.move({ type: 'cancel' });
    this.setView({ status: 'cancelling' });
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
