/**
 * valibot schema of normalized task data when it comes back from outside (a run file, a share
 * link, IndexedDB): same limits as the parser, and the hash is checked against the spec's.
 */
import * as v from 'valibot';
import { IMPORTED_FORMATS } from '../schema.ts';
import { MAX_EXAMPLES, MAX_INPUT_CHARS, MAX_PREFIX_CHARS, MAX_TARGET_CHARS, MAX_TASK_CHOICES, type ImportedTaskData } from './data.ts';
import { hashTaskData, TaskFileError } from './parse.ts';

const str = (max: number) => v.pipe(v.string(), v.maxLength(max));
const nonEmpty = (max: number) => v.pipe(v.string(), v.minLength(1), v.maxLength(max));

export const ImportedExampleSchema = v.object({
  input: nonEmpty(MAX_INPUT_CHARS),
  targets: v.pipe(v.array(nonEmpty(MAX_TARGET_CHARS)), v.maxLength(64)),
  targetScores: v.nullable(
    v.pipe(
      v.array(v.object({ choice: nonEmpty(MAX_TARGET_CHARS), score: v.pipe(v.number(), v.finite()) })),
      v.minLength(2),
      v.maxLength(MAX_TASK_CHOICES),
    ),
  ),
});

export const ImportedTaskDataSchema = v.object({
  format: v.picklist(IMPORTED_FORMATS),
  name: nonEmpty(120),
  description: str(2000),
  metrics: v.pipe(v.array(str(60)), v.maxLength(20)),
  preferredScore: v.nullable(str(60)),
  taskPrefix: str(MAX_PREFIX_CHARS),
  exampleInputPrefix: str(MAX_PREFIX_CHARS),
  exampleOutputPrefix: str(MAX_PREFIX_CHARS),
  choicePrefix: str(MAX_PREFIX_CHARS),
  appendChoicesToInput: v.boolean(),
  fewShotSeparator: str(MAX_PREFIX_CHARS),
  examples: v.pipe(v.array(ImportedExampleSchema), v.minLength(1), v.maxLength(MAX_EXAMPLES)),
});

/** Validate task data from outside and check it is the task the spec names (same SHA-256). */
export function verifyTaskData(input: unknown, expectedHash: string): ImportedTaskData {
  const r = v.safeParse(ImportedTaskDataSchema, input);
  if (!r.success) {
    const path = v.getDotPath(r.issues[0]);
    throw new TaskFileError(`The embedded task file is malformed${path ? ` at ${path.slice(0, 80)}` : ''}.`);
  }
  const data = r.output as ImportedTaskData;
  const hash = hashTaskData(data);
  if (hash !== expectedHash) {
    throw new TaskFileError(`This task file is not the one the experiment used: its content hash is ${hash.slice(0, 12)}…, the experiment's is ${expectedHash.slice(0, 12)}…. Open the run with its own task file.`);
  }
  return data;
}
