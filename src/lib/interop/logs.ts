/**
 * Reading lm-evaluation-harness output files: `results_<date>.json` and
 * `samples_<task>_<date>.jsonl` per model (EvaluationTracker.save_results_aggregated /
 * save_results_samples). The harness stringifies resps on the way out (sanitize_list:
 * "-1.25", "False"), logs arguments as {gen_args_i: {arg_j}}, and older versions wrote plain
 * lists: both are read. Every problem names the file and, in JSONL, the line.
 */
import { InteropError } from './errors.ts';

export interface LmEvalFile {
  /** Path or name as the user gave it, e.g. "results/EleutherAI__pythia-160m/results_2024-05-01T10-00-00.json". */
  name: string;
  text: string;
}

/** Larger files are refused before parsing (a 1000-item variant's samples are a few MB). */
export const MAX_LOG_FILE_CHARS = 64 * 1024 * 1024;

export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
export function dirName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts.slice(0, -1).join('/');
}

const RESULTS_RE = /^results_(.+)\.json$/;
const SAMPLES_RE = /^samples_(.+?)(?:_(\d{4}-\d{2}-\d{2}T[0-9.\-:]+))?\.jsonl$/;

export function isResultsFile(name: string): boolean {
  return RESULTS_RE.test(baseName(name));
}

/** Task and date of a samples file name (date null in versions that drop it). */
export function samplesFileInfo(name: string): { task: string; date: string | null } | null {
  const m = SAMPLES_RE.exec(baseName(name));
  return m ? { task: m[1], date: m[2] ?? null } : null;
}

export function resultsFileDate(name: string): string | null {
  return RESULTS_RE.exec(baseName(name))?.[1] ?? null;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function checkSize(file: LmEvalFile): void {
  if (file.text.length > MAX_LOG_FILE_CHARS) {
    throw new InteropError(`the file is ${(file.text.length / 1e6).toFixed(0)} MB; at most ${MAX_LOG_FILE_CHARS / 1024 / 1024} MB is read. Split the run (fewer items per variant) or import per model.`, file.name);
  }
}

export interface LmEvalResults {
  file: string;
  /** results[task]["acc,none"] etc. */
  results: Record<string, Record<string, unknown>>;
  configs: Record<string, Record<string, unknown>>;
  nSamples: Record<string, number>;
  modelArgs: string | null;
  modelName: string | null;
  batchSize: string | null;
  gitHash: string | null;
  version: string | null;
  transformersVersion: string | null;
  /** ISO time. */
  date: string | null;
  taskHashes: Record<string, string>;
}

function str(x: unknown): string | null {
  if (typeof x === 'string') return x;
  if (typeof x === 'number' && Number.isFinite(x)) return String(x);
  return null;
}

function modelArgsString(x: unknown): string | null {
  if (typeof x === 'string') return x;
  // Newer versions may log model_args as a dict.
  if (isRecord(x)) return Object.entries(x).map(([k, v]) => `${k}=${String(v)}`).join(',');
  return null;
}

export function parseResultsFile(file: LmEvalFile): LmEvalResults {
  checkSize(file);
  let data: unknown;
  try {
    data = JSON.parse(file.text);
  } catch (e) {
    throw new InteropError(`not valid JSON (${e instanceof Error ? e.message : String(e)}); is the file complete?`, file.name);
  }
  if (!isRecord(data) || !isRecord(data.results)) throw new InteropError('not an lm-eval results file: no "results" object.', file.name);
  const results: LmEvalResults['results'] = {};
  for (const [task, r] of Object.entries(data.results)) if (isRecord(r)) results[task] = r;
  const configs: LmEvalResults['configs'] = {};
  if (isRecord(data.configs)) for (const [task, c] of Object.entries(data.configs)) if (isRecord(c)) configs[task] = c;
  const nSamples: Record<string, number> = {};
  if (isRecord(data['n-samples'])) {
    for (const [task, n] of Object.entries(data['n-samples'])) {
      if (isRecord(n) && typeof n.effective === 'number') nSamples[task] = n.effective;
    }
  }
  const config = isRecord(data.config) ? data.config : {};
  const taskHashes: Record<string, string> = {};
  if (isRecord(data.task_hashes)) for (const [t, h] of Object.entries(data.task_hashes)) if (typeof h === 'string') taskHashes[t] = h;
  const date = typeof data.date === 'number' && Number.isFinite(data.date) ? new Date(data.date * 1000).toISOString() : null;
  return {
    file: file.name,
    results,
    configs,
    nSamples,
    modelArgs: modelArgsString(config.model_args),
    modelName: str(data.model_name),
    batchSize: str(config.batch_size),
    gitHash: str(data.git_hash),
    version: str(data.lm_eval_version),
    transformersVersion: str(data.transformers_version),
    date,
    taskHashes,
  };
}

/** One logged sample, normalized. */
export interface LmEvalSample {
  line: number;
  docId: number;
  doc: Record<string, unknown>;
  filter: string;
  /** arguments[i] = [context, continuation | gen_kwargs]. */
  args: unknown[][];
  resps: unknown[];
  filteredResps: unknown[];
  docHash: string | null;
  metrics: Record<string, unknown>;
}

function normalizeArgs(x: unknown, fail: (m: string) => never): unknown[][] {
  if (Array.isArray(x)) return x.map((a) => (Array.isArray(a) ? a : fail('"arguments" entries must be lists.')));
  if (isRecord(x)) {
    // {"gen_args_0": {"arg_0": context, "arg_1": continuation}, ...}
    const keys = Object.keys(x).filter((k) => /^gen_args_\d+$/.test(k)).sort((a, b) => Number(a.slice(9)) - Number(b.slice(9)));
    return keys.map((k) => {
      const a = x[k];
      if (!isRecord(a)) fail(`"arguments.${k}" must be an object.`);
      const argKeys = Object.keys(a).filter((j) => /^arg_\d+$/.test(j)).sort((p, q) => Number(p.slice(4)) - Number(q.slice(4)));
      return argKeys.map((j) => a[j]);
    });
  }
  return fail('"arguments" is missing.');
}

/** Parse a samples JSONL: every line must be a complete JSON object (a truncated last line is an error, not skipped). */
export function parseSamplesFile(file: LmEvalFile): LmEvalSample[] {
  checkSize(file);
  const out: LmEvalSample[] = [];
  const lines = file.text.split('\n');
  lines.forEach((raw, index) => {
    const line = index + 1;
    const text = raw.trim();
    if (text === '') return;
    const fail = (m: string): never => {
      throw new InteropError(m, file.name, line);
    };
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      if (/\bNaN\b|\bInfinity\b/.test(text)) fail('the sample holds NaN or Infinity (a log-prob that is not a number); rerun that model (fp32 avoids most overflows).');
      fail(index === lines.length - 1 || lines.slice(index + 1).every((l) => l.trim() === '') ? 'the last line is not complete JSON: the file was cut off (copy it again, or rerun the task).' : 'not valid JSON.');
    }
    if (!isRecord(data)) return fail('each line must be a JSON object.');
    if (typeof data.doc_id !== 'number' || !Number.isInteger(data.doc_id)) fail('"doc_id" is missing or not a whole number.');
    if (!isRecord(data.doc)) fail('"doc" is missing.');
    if (!Array.isArray(data.resps)) fail('"resps" is missing.');
    out.push({
      line,
      docId: data.doc_id as number,
      doc: data.doc as Record<string, unknown>,
      filter: typeof data.filter === 'string' ? data.filter : 'none',
      args: normalizeArgs(data.arguments, fail),
      resps: data.resps as unknown[],
      filteredResps: Array.isArray(data.filtered_resps) ? data.filtered_resps : [],
      docHash: typeof data.doc_hash === 'string' ? data.doc_hash : null,
      metrics: data,
    });
  });
  return out;
}

/** A log-likelihood as logged: a number or its Python str() ("-1.25", "nan", "-inf"). */
export function parseLogprob(x: unknown, where: string, file: string, line: number): number {
  const value = typeof x === 'number' ? x : typeof x === 'string' && /^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(x.trim()) ? Number(x) : NaN;
  if (!Number.isFinite(value)) throw new InteropError(`${where} is ${JSON.stringify(x)}, not a finite log-prob; rerun that model (NaN log-probs usually mean fp16 overflow).`, file, line);
  if (value > 1e-3) throw new InteropError(`${where} is ${value}, a log-prob above 0.`, file, line);
  return value;
}

/** is_greedy as logged: a boolean or its Python str() ("True"/"False"). */
export function parseGreedy(x: unknown, where: string, file: string, line: number): boolean {
  if (typeof x === 'boolean') return x;
  if (x === 'True' || x === 'true') return true;
  if (x === 'False' || x === 'false') return false;
  throw new InteropError(`${where} is ${JSON.stringify(x)}, not True or False.`, file, line);
}
