/**
 * Import and export of run files (the JSON export). Import validates the whole structure:
 * a file is a stranger's data and everything downstream (charts, storage) trusts it after this.
 */
import * as v from 'valibot';
import { guardJson, JsonGuardError } from '../util/json-guard.ts';

/** Deepest nesting a run file has (run → models → items → metrics … task examples → choices): 8; a margin above. */
const MAX_RUN_FILE_DEPTH = 24;
import { RUN_FORMAT, RUN_VERSION, type RunResult } from '../results/types.ts';
import { SPEC_FORMAT, SPEC_VERSION } from '../spec/schema.ts';
import { RunFileError } from './errors.ts';
import { MAX_RUN_FILE_CHARS, MAX_RUN_ITEMS } from './limits.ts';
import { findReservedKey } from './reserved-keys.ts';
import { describeIssues, RunResultSchema } from '../results/schema.ts';

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Friendly refusals that a schema issue list would only hint at. */
function checkEnvelope(data: unknown): void {
  if (!isRecord(data)) throw new RunFileError('This file is not an Emergence Lab run: it holds no JSON object.', 'not-a-run');
  if (data.format === SPEC_FORMAT) {
    throw new RunFileError('This file is an experiment spec, not a run: open it in the experiment form to run it.', 'not-a-run');
  }
  if (data.format !== RUN_FORMAT) {
    throw new RunFileError(`This file is not an Emergence Lab run (its "format" is not "${RUN_FORMAT}").`, 'not-a-run');
  }
  if (typeof data.version === 'number' && data.version > RUN_VERSION) {
    throw new RunFileError(
      `This run was made by a newer version of Emergence Lab (run format version ${data.version}); this lab reads version ${RUN_VERSION}. Open it in the newer lab or update this one.`,
      'newer-version',
    );
  }
  const spec = data.spec;
  if (isRecord(spec) && typeof spec.version === 'number' && typeof spec.format === 'string' && spec.format === SPEC_FORMAT && spec.version > SPEC_VERSION) {
    throw new RunFileError(
      `This run's experiment was made by a newer version of Emergence Lab (spec version ${spec.version}). Open it in the newer lab or update this one.`,
      'newer-version',
    );
  }
  // Count items before deep validation so a giant file fails fast with a clear message.
  if (Array.isArray(data.models)) {
    let total = 0;
    for (const m of data.models) if (isRecord(m) && Array.isArray(m.items)) total += m.items.length;
    if (total > MAX_RUN_ITEMS) {
      throw new RunFileError(`This run has ${total} items; the lab opens runs of up to ${MAX_RUN_ITEMS} items.`, 'too-large');
    }
  }
}

/** Validate already-parsed JSON as a RunResult (also used by storage import). */
export function validateRunResult(data: unknown): RunResult {
  checkEnvelope(data);
  const reserved = findReservedKey(data);
  if (reserved) throw new RunFileError(`This run file was tampered with: it contains the reserved key "${reserved}".`, 'invalid', [reserved]);
  const r = v.safeParse(RunResultSchema, data);
  if (!r.success) {
    const issues = describeIssues(r.issues);
    const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
    throw new RunFileError(`This run file is damaged or was edited by hand: ${issues.slice(0, 3).join('; ')}${more}.`, 'invalid', issues);
  }
  // The schema checks metric ids against the registry at run time; their static types are the registry's.
  return r.output as RunResult;
}

/** Parse and validate the text of a run file. Throws RunFileError with a message to show. */
export function parseRunFile(text: string): RunResult {
  if (typeof text !== 'string' || text.trim() === '') throw new RunFileError('The file is empty.', 'empty');
  if (text.length > MAX_RUN_FILE_CHARS) {
    throw new RunFileError(`The file is too large (${Math.round(text.length / 2 ** 20)} MB); the lab opens run files of up to ${MAX_RUN_FILE_CHARS / 2 ** 20} MB.`, 'too-large');
  }
  let data: unknown;
  try {
    // Size and nesting are checked before parsing: deep nesting is refused in well under 100 ms.
    data = guardJson(text, { maxDepth: MAX_RUN_FILE_DEPTH, maxBytes: MAX_RUN_FILE_CHARS * 3, what: 'The file' });
  } catch (e) {
    if (e instanceof JsonGuardError && e.reason === 'too-deep') throw new RunFileError(`${e.message}`, 'not-a-run');
    if (e instanceof JsonGuardError && e.reason === 'too-large') throw new RunFileError(e.message, 'too-large');
    throw new RunFileError('The file is not valid JSON; it may be cut off or not a run file. Download the run again.', 'not-json');
  }
  return validateRunResult(data);
}

/** The JSON export of a run (what parseRunFile reads back). */
export function serializeRunFile(result: RunResult): string {
  return JSON.stringify(result, null, 1);
}
