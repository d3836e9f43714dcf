/** Property-based fuzzing of parseRunFile (3,000 inputs): accept a valid run or throw RunFileError. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRunFile, RunFileError, serializeRunFile } from '../../../src/lib/share/index.ts';
import { nastyJson } from './nasty-json.ts';
import { syntheticRun } from './synthetic-run.ts';

const run = syntheticRun({ models: 2, digits: [1], perVariant: 4 });
const text = serializeRunFile(run);
const doc = JSON.parse(text);

function check(input: string): void {
  try {
    const r = parseRunFile(input);
    expect(r.format).toBe('emergence-lab/run');
  } catch (e) {
    if (!(e instanceof RunFileError)) throw e;
    expect(e.message.length).toBeGreaterThan(10);
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

describe('parseRunFile fuzz (3,000 inputs)', () => {
  it('random text and JSON values (1,000)', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.json({ maxDepth: 4 }), fc.jsonValue().map((v) => JSON.stringify({ format: 'emergence-lab/run', version: 1, models: v }))), check), { numRuns: 1000 });
  }, 300_000);

  it('hostile edits of a valid run file (1,500)', () => {
    fc.assert(fc.property(nastyJson(doc), check), { numRuns: 1500 });
  }, 300_000);

  it('truncations and byte changes of a valid run file (500)', () => {
    const arb = fc.tuple(fc.nat(text.length), fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([cut, at, s]) => {
      const t = text.slice(0, cut === text.length ? text.length : cut);
      const i = at % Math.max(1, t.length);
      return t.slice(0, i) + s + t.slice(i + s.length);
    });
    fc.assert(fc.property(arb, check), { numRuns: 500 });
  }, 300_000);
});
