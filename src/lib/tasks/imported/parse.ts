/**
 * Parse task files visitors bring: BIG-bench JSON tasks ({examples: [{input, target,
 * target_scores}], task_prefix, …}) and JSONL files with one {input, target} or
 * {input, target_scores} per line (BIG-Bench-Hard). Every problem is a TaskFileError whose
 * message names the example (or line) and the field, quotes at most a short excerpt, and never
 * echoes the file. The result is normalized (defaults filled in) and hashed, so the same task
 * has the same hash however its file was formatted.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { guardJson, JsonGuardError } from '../../util/json-guard.ts';
import { TaskError } from '../errors.ts';
import type { ImportedFormat } from '../schema.ts';
import {
  BIGBENCH_DEFAULTS,
  JSONL_DEFAULTS,
  MAX_EXAMPLES,
  MAX_INPUT_CHARS,
  MAX_PREFIX_CHARS,
  MAX_TARGET_CHARS,
  MAX_TASK_CHOICES,
  MAX_TASK_FILE_CHARS,
  type ImportedExample,
  type ImportedFormatting,
  type ParsedTaskFile,
  type ImportedTaskData,
} from './data.ts';

export class TaskFileError extends TaskError {
  override name = 'TaskFileError';
}

/** At most `max` characters of untrusted text for a message, control characters shown as escapes. */
export function excerpt(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'a list';
  return typeof x === 'object' ? 'an object' : `a ${typeof x}`;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function optionalString(obj: Record<string, unknown>, key: string, fallback: string, where: string): string {
  if (!Object.hasOwn(obj, key) || obj[key] === undefined) return fallback;
  const value = obj[key];
  if (typeof value !== 'string') throw new TaskFileError(`${where}: "${key}" must be text, got ${typeName(value)}.`);
  if (value.length > MAX_PREFIX_CHARS) throw new TaskFileError(`${where}: "${key}" is longer than ${MAX_PREFIX_CHARS} characters.`);
  return value;
}

/** One example (BIG-bench object or JSONL line) → normalized, or a TaskFileError naming it. */
function parseExample(raw: unknown, where: string): ImportedExample {
  if (!isRecord(raw)) throw new TaskFileError(`${where} must be an object with "input" and "target" or "target_scores", got ${typeName(raw)}.`);
  const input = raw.input;
  if (typeof input !== 'string') throw new TaskFileError(`${where}: "input" must be text, got ${typeName(input)}.`);
  if (input.trim() === '') throw new TaskFileError(`${where}: "input" is empty.`);
  if (input.length > MAX_INPUT_CHARS) throw new TaskFileError(`${where}: "input" is ${input.length} characters long; the lab accepts at most ${MAX_INPUT_CHARS}.`);

  let targets: string[] = [];
  if (raw.target !== undefined) {
    const list = Array.isArray(raw.target) ? raw.target : [raw.target];
    if (list.length === 0) throw new TaskFileError(`${where}: "target" is an empty list.`);
    targets = list.map((t, k) => {
      const field = Array.isArray(raw.target) ? `"target"[${k}]` : '"target"';
      if (typeof t !== 'string') throw new TaskFileError(`${where}: ${field} must be text, got ${typeName(t)}.`);
      if (t.trim() === '') throw new TaskFileError(`${where}: ${field} is empty.`);
      if (t.length > MAX_TARGET_CHARS) throw new TaskFileError(`${where}: ${field} is longer than ${MAX_TARGET_CHARS} characters.`);
      return t;
    });
  }

  let targetScores: ImportedExample['targetScores'] = null;
  if (raw.target_scores !== undefined) {
    const ts = raw.target_scores;
    if (!isRecord(ts)) throw new TaskFileError(`${where}: "target_scores" must be an object of choice → score, got ${typeName(ts)}.`);
    const entries = Object.entries(ts);
    if (entries.length < 2) throw new TaskFileError(`${where}: "target_scores" needs at least 2 choices, got ${entries.length}.`);
    if (entries.length > MAX_TASK_CHOICES) throw new TaskFileError(`${where}: "target_scores" has ${entries.length} choices; the lab accepts at most ${MAX_TASK_CHOICES}.`);
    const seen = new Map<string, string>();
    targetScores = entries.map(([choice, score]) => {
      if (choice.trim() === '') throw new TaskFileError(`${where}: "target_scores" has an empty choice.`);
      if (choice.length > MAX_TARGET_CHARS) throw new TaskFileError(`${where}: a choice in "target_scores" is longer than ${MAX_TARGET_CHARS} characters.`);
      if (typeof score !== 'number' || !Number.isFinite(score)) {
        throw new TaskFileError(`${where}: "target_scores" of choice ${excerpt(choice)} must be a finite number, got ${typeName(score)}.`);
      }
      const key = choice.trim();
      const twin = seen.get(key);
      if (twin !== undefined) throw new TaskFileError(`${where}: "target_scores" lists the choice ${excerpt(key)} twice (${excerpt(twin)} and ${excerpt(choice)}).`);
      seen.set(key, choice);
      return { choice, score };
    });
    if (!targetScores.some((c) => c.score > 0)) {
      throw new TaskFileError(`${where}: every score in "target_scores" is 0 or less, so no choice is correct; give the right choice a score of 1.`);
    }
  }
  if (targets.length === 0 && targetScores === null) {
    throw new TaskFileError(`${where} has neither "target" nor "target_scores": give the answer as "target" (generation) or the choices as "target_scores" (multiple choice).`);
  }
  return { input, targets, targetScores };
}

function checkSize(text: string): void {
  if (text.length > MAX_TASK_FILE_CHARS) {
    throw new TaskFileError(`The task file is ${(text.length / 1024 / 1024).toFixed(1)} MB; the lab accepts task files up to ${MAX_TASK_FILE_CHARS / 1024 / 1024} MB. Split it or keep fewer examples.`);
  }
}

function checkCount(count: number): void {
  if (count > MAX_EXAMPLES) throw new TaskFileError(`The task file has ${count.toLocaleString('en-US')} examples; the lab accepts at most ${MAX_EXAMPLES.toLocaleString('en-US')}.`);
}

/** Task files nest at most 4 levels (task → examples → example → target_scores); a margin above. */
const MAX_TASK_DEPTH = 16;

function parseJson(text: string, what: string): unknown {
  try {
    // Depth and size before parsing; messages quote at most a short excerpt, never JSON.parse's text.
    return guardJson(text, { maxDepth: MAX_TASK_DEPTH, maxBytes: MAX_TASK_FILE_CHARS * 3, what });
  } catch (e) {
    if (e instanceof JsonGuardError) throw new TaskFileError(e.message.replace(/ It may be cut off or edited by hand; get a fresh copy from where it came from\.$/, ''));
    throw e;
  }
}

/** Task name from the file's own field or the file name ("arith.json" → "arith"). */
function taskName(declared: unknown, fileName: string): string {
  const fromFile = fileName.replace(/^.*[\\/]/, '').replace(/\.(json|jsonl)$/i, '');
  const name = typeof declared === 'string' && declared.trim() !== '' ? declared.trim() : fromFile.trim();
  return (name || 'task').slice(0, 120);
}

export function parseBigBenchTask(text: string, fileName = 'task.json'): ImportedTaskData {
  checkSize(text);
  const root = parseJson(text, 'The task file');
  if (!isRecord(root)) throw new TaskFileError(`A BIG-bench task file must be a JSON object with "examples", got ${typeName(root)}.`);
  const examples = root.examples;
  if (examples === undefined) throw new TaskFileError('The task file has no "examples" list: a BIG-bench task needs "examples": [{"input": …, "target": …}, …].');
  if (!Array.isArray(examples)) throw new TaskFileError(`"examples" must be a list, got ${typeName(examples)}.`);
  if (examples.length === 0) throw new TaskFileError('"examples" is empty: the task needs at least one example.');
  checkCount(examples.length);
  const where = 'The task file';
  const formatting: ImportedFormatting = {
    taskPrefix: optionalString(root, 'task_prefix', BIGBENCH_DEFAULTS.taskPrefix, where),
    exampleInputPrefix: optionalString(root, 'example_input_prefix', BIGBENCH_DEFAULTS.exampleInputPrefix, where),
    exampleOutputPrefix: optionalString(root, 'example_output_prefix', BIGBENCH_DEFAULTS.exampleOutputPrefix, where),
    choicePrefix: optionalString(root, 'choice_prefix', BIGBENCH_DEFAULTS.choicePrefix, where),
    appendChoicesToInput: BIGBENCH_DEFAULTS.appendChoicesToInput,
    fewShotSeparator: optionalString(root, 'few_shot_example_separator', BIGBENCH_DEFAULTS.fewShotSeparator, where),
  };
  if (root.append_choices_to_input !== undefined) {
    if (typeof root.append_choices_to_input !== 'boolean') throw new TaskFileError(`"append_choices_to_input" must be true or false, got ${typeName(root.append_choices_to_input)}.`);
    formatting.appendChoicesToInput = root.append_choices_to_input;
  }
  let metrics: string[] = [];
  if (root.metrics !== undefined) {
    if (!Array.isArray(root.metrics) || !root.metrics.every((m) => typeof m === 'string')) throw new TaskFileError('"metrics" must be a list of metric names.');
    metrics = (root.metrics as string[]).slice(0, 20).map((m) => m.slice(0, 60));
  }
  const preferred = root.preferred_score;
  if (preferred !== undefined && typeof preferred !== 'string') throw new TaskFileError(`"preferred_score" must be text, got ${typeName(preferred)}.`);
  const description = root.description;
  if (description !== undefined && typeof description !== 'string') throw new TaskFileError(`"description" must be text, got ${typeName(description)}.`);
  return {
    format: 'bigbench',
    name: taskName(root.name, fileName),
    description: (description ?? '').slice(0, 2000),
    metrics,
    preferredScore: preferred ? preferred.slice(0, 60) : null,
    ...formatting,
    examples: examples.map((ex, i) => parseExample(ex, `Example ${i}`)),
  };
}

export function parseJsonlTask(text: string, fileName = 'task.jsonl'): ImportedTaskData {
  checkSize(text);
  const examples: ImportedExample[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    checkCount(examples.length + 1);
    const where = `Line ${i + 1}`;
    const raw = parseJson(line, where);
    examples.push(parseExample(raw, where));
  });
  if (examples.length === 0) throw new TaskFileError('The JSONL file has no examples: put one {"input": …, "target": …} object per line.');
  return { format: 'jsonl', name: taskName(null, fileName), description: '', metrics: [], preferredScore: null, ...JSONL_DEFAULTS, examples };
}

/** BIG-bench JSON or JSONL, by the file's extension, else by its first character. */
export function detectTaskFormat(text: string, fileName: string): ImportedFormat {
  if (/\.jsonl$/i.test(fileName)) return 'jsonl';
  if (/\.json$/i.test(fileName)) return 'bigbench';
  const lines = text.trimStart().split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.length > 1 && lines.every((l) => l.trim().startsWith('{') && l.trim().endsWith('}')) ? 'jsonl' : 'bigbench';
}

/** The canonical text a task's hash is taken over: the normalized data, keys in a fixed order. */
export function canonicalTaskText(data: ImportedTaskData): string {
  return JSON.stringify([
    data.format,
    data.name,
    data.description,
    data.metrics,
    data.preferredScore,
    data.taskPrefix,
    data.exampleInputPrefix,
    data.exampleOutputPrefix,
    data.choicePrefix,
    data.appendChoicesToInput,
    data.fewShotSeparator,
    data.examples.map((e) => [e.input, e.targets, e.targetScores?.map((c) => [c.choice, c.score]) ?? null]),
  ]);
}

/** SHA-256 (hex) of the canonical text (synchronous, so links can check it while they decode). */
export function hashTaskData(data: ImportedTaskData): string {
  return bytesToHex(sha256(new TextEncoder().encode(canonicalTaskText(data))));
}

/** Parse a task file of either format and hash it. */
export function parseTaskFile(text: string, fileName: string): ParsedTaskFile {
  if (typeof text !== 'string') throw new TaskFileError('The task file could not be read as text.');
  const data = detectTaskFormat(text, fileName) === 'jsonl' ? parseJsonlTask(text, fileName) : parseBigBenchTask(text, fileName);
  return { data, hash: hashTaskData(data) };
}
