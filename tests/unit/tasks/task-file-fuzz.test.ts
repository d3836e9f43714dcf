/**
 * parseTaskFile under hostile input (the CI-sized sample; `npm run fuzz` runs 10^5): every input
 * ends in a parsed task or a TaskFileError/TaskError with a short message that never echoes the
 * input; deep nesting is refused fast.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TaskError } from '../../../src/lib/tasks/errors.ts';
import { parseTaskFile } from '../../../src/lib/tasks/imported/parse.ts';
import { nastyJson } from '../share/nasty-json.ts';

const valid = { name: 'sums', examples: [{ input: '12+34=', target_scores: { '46': 1, '45': 0 } }, { input: '7+8=', target: ['15', 'fifteen'] }] };

function check(text: string, name = 't.json'): void {
  try {
    const { data, hash } = parseTaskFile(text, name);
    expect(data.examples.length).toBeGreaterThan(0);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  } catch (e) {
    if (!(e instanceof TaskError)) throw e;
    // Short, and never more than a short excerpt of the input.
    expect(e.message.length).toBeLessThan(400);
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

describe('task file fuzz (2,500 inputs)', () => {
  it('random text and JSON (1,000)', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.json({ maxDepth: 4 })), (t) => check(t)), { numRuns: 1000 });
  }, 120_000);
  it('hostile edits of a valid BIG-bench file (1,000)', () => {
    fc.assert(fc.property(nastyJson(JSON.parse(JSON.stringify(valid))), (t) => check(t)), { numRuns: 1000 });
  }, 120_000);
  it('cut and spliced JSONL (500)', () => {
    const text = '{"input": "1+1=", "target": "2"}\n{"input": "2+2=", "target_scores": {"4": 1, "5": 0}}\n';
    fc.assert(fc.property(fc.nat(text.length), fc.string({ maxLength: 4 }), (cut, s) => check(text.slice(0, cut) + s + text.slice(cut), 't.jsonl')), { numRuns: 500 });
  }, 120_000);
  it('deep nesting and a huge string are refused with a short message, fast', () => {
    for (const text of ['['.repeat(200_000), `{"examples": ${'['.repeat(100_000)}`, `{"examples": [{"input": "${'x'.repeat(100_000)}", "target": "1"}]}`]) {
      const t0 = performance.now();
      let message = '';
      try {
        parseTaskFile(text, 'deep.json');
      } catch (e) {
        message = (e as Error).message;
        expect(e).toBeInstanceOf(TaskError);
      }
      // A measurement, not a timed test: generous on a shared machine; the point is no multi-second parse.
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(message.length).toBeGreaterThan(10);
      expect(message.length).toBeLessThan(400);
    }
  });
});
