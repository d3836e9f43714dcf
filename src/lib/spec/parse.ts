import * as v from 'valibot';
import { SpecError } from './errors.ts';
import { ExperimentSpecSchema, SPEC_FORMAT, SPEC_VERSION, type ExperimentSpec } from './schema.ts';

function issuePath(issue: v.BaseIssue<unknown>): string {
  const path = v.getDotPath(issue);
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Validate unknown input (parsed JSON from a link, file or storage) as an ExperimentSpec. */
export function parseSpec(input: unknown): ExperimentSpec {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const rec = input as Record<string, unknown>;
    if (rec.format === SPEC_FORMAT && typeof rec.version === 'number' && rec.version > SPEC_VERSION) {
      throw new SpecError(
        `This experiment was made by a newer version of Emergence Lab (spec version ${rec.version}); this page reads version ${SPEC_VERSION}. Open it in the newer lab or update this one.`,
      );
    }
  }
  const result = v.safeParse(ExperimentSpecSchema, input);
  if (!result.success) {
    const issues = result.issues.map(issuePath);
    throw new SpecError(`Invalid experiment spec: ${issues.slice(0, 3).join('; ')}`, issues);
  }
  return result.output;
}
