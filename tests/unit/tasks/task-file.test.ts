import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_EXAMPLES, MAX_TASK_FILE_CHARS } from '../../../src/lib/tasks/imported/data.ts';
import { generateImportedItems, importedVariants } from '../../../src/lib/tasks/imported/generate.ts';
import { canonicalTaskText, parseBigBenchTask, parseJsonlTask, parseTaskFile, TaskFileError } from '../../../src/lib/tasks/imported/parse.ts';
import { verifyTaskData } from '../../../src/lib/tasks/imported/schema.ts';
import type { ImportedTask } from '../../../src/lib/tasks/schema.ts';
import type { ChoiceItem, GenerationItem } from '../../../src/lib/tasks/types.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/tasks/${name}`, import.meta.url), 'utf8');
const spec = (hash: string, over: Partial<ImportedTask> = {}): ImportedTask => ({ kind: 'imported', name: 't', format: 'bigbench', hash, perVariant: 100, seed: 3, kShot: 0, ...over });

function refuses(text: string, pattern: RegExp, parse: (t: string) => unknown = (t) => parseBigBenchTask(t)) {
  let err: unknown;
  try {
    parse(text);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TaskFileError);
  expect((err as Error).message).toMatch(pattern);
  expect((err as Error).message.length).toBeLessThan(400);
}

describe('BIG-bench task files', () => {
  it('fills BIG-bench defaults for absent fields and formats prompts as default_format_fn does', () => {
    const data = parseBigBenchTask(JSON.stringify({ examples: [{ input: 'What is 2+2?', target: '4' }, { input: 'Is the sky blue?', target_scores: { yes: 1, no: 0 } }] }), 'my task.json');
    expect(data).toMatchObject({ name: 'my task', taskPrefix: '', exampleInputPrefix: '\nQ: ', exampleOutputPrefix: '\nA: ', choicePrefix: '\n  choice: ', appendChoicesToInput: true, fewShotSeparator: '\n' });
    const items = generateImportedItems(spec('x'), data);
    const gen = items.find((i) => i.kind === 'generation') as GenerationItem;
    // The trailing space of "\nA: " moves into the target (lm-eval: contexts never end in a space).
    expect(gen.prompt).toBe('\nQ: What is 2+2?\nA:');
    expect(gen.target).toBe(' 4');
    const mc = items.find((i) => i.kind === 'choice') as ChoiceItem;
    expect(mc.prompt).toMatch(/^\nQ: Is the sky blue\?\n {2}choice: (yes|no)\n {2}choice: (yes|no)\nA:$/);
    expect(mc.delimiter).toBe(' ');
    expect(mc.choices).toEqual(['yes', 'no']);
    expect(mc.answerIndex).toBe(0);
    expect(mc.targetScores).toEqual([1, 0]);
    expect(importedVariants(data).map((v) => v.variant)).toEqual(['my-task/mc', 'my-task/gen']);
  });

  it('reads the fixture: choices in file order, the answer is the highest score', () => {
    const { data, hash } = parseTaskFile(fixture('sums-choice.json'), 'sums-choice.json');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const items = generateImportedItems(spec(hash, { perVariant: 5 }), data) as ChoiceItem[];
    expect(items).toHaveLength(5);
    expect(items.every((i) => i.kind === 'choice' && i.choices[i.answerIndex] === String(eval2(i.prompt)))).toBe(true);
    expect(items.map((i) => i.prompt)).toEqual(items.map((i) => data.examples[Number(i.meta.example)].input));
  });

  it('k-shot examples come from the file, never the query, with a seeded choice', () => {
    const { data, hash } = parseTaskFile(fixture('sums-choice.json'), 'sums-choice.json');
    const a = generateImportedItems(spec(hash, { kShot: 2, seed: 1 }), data);
    const b = generateImportedItems(spec(hash, { kShot: 2, seed: 1 }), data);
    const c = generateImportedItems(spec(hash, { kShot: 2, seed: 2 }), data);
    expect(a).toEqual(b);
    expect(a.map((i) => i.prompt)).not.toEqual(c.map((i) => i.prompt));
    for (const item of a) {
      const own = data.examples[Number(item.meta.example)].input;
      expect(item.prompt.endsWith(own)).toBe(true);
      expect(item.prompt.slice(0, -own.length)).not.toContain(own);
    }
  });

  it('picks n examples per variant with a seeded choice, in file order', () => {
    const { data, hash } = parseTaskFile(fixture('sums-choice.json'), 'sums-choice.json');
    const ids = (seed: number) => generateImportedItems(spec(hash, { perVariant: 3, seed }), data).map((i) => i.id);
    expect(ids(1)).toEqual(ids(1));
    expect(ids(1)).toHaveLength(3);
    const order = ids(4).map((id) => Number(id.split('-').pop()));
    expect(order).toEqual([...order].sort((x, y) => x - y));
  });

  it('hashes normalized content: formatting of the file does not matter, content does', () => {
    const text = fixture('sums-choice.json');
    const pretty = parseTaskFile(text, 'a.json');
    const compact = parseTaskFile(JSON.stringify(JSON.parse(text)), 'b.json');
    expect(compact.hash).toBe(pretty.hash);
    const edited = JSON.parse(text);
    edited.examples[0].target_scores['46'] = 0.5;
    expect(parseTaskFile(JSON.stringify(edited), 'a.json').hash).not.toBe(pretty.hash);
    expect(verifyTaskData(pretty.data, pretty.hash)).toEqual(pretty.data);
    expect(() => verifyTaskData(parseTaskFile(JSON.stringify(edited), 'a.json').data, pretty.hash)).toThrow(/not the one the experiment used/);
    expect(canonicalTaskText(pretty.data)).toContain('12+34=');
  });

  it('refuses bad files with a message naming the example and field', () => {
    refuses('{"examples": [', /not valid JSON/);
    refuses('[1, 2]', /must be a JSON object/);
    refuses('{}', /no "examples"/);
    refuses('{"examples": []}', /empty/);
    refuses('{"examples": {"a": 1}}', /must be a list/);
    refuses('{"examples": [{"input": "x"}]}', /Example 0 has neither "target" nor "target_scores"/);
    refuses('{"examples": [{"input": "x", "target": "1"}, {"input": 5, "target": "2"}]}', /Example 1: "input" must be text, got a number/);
    refuses('{"examples": [{"input": "x", "target": ["1", 2]}]}', /Example 0: "target"\[1\] must be text/);
    refuses('{"examples": [{"input": "x", "target_scores": {}}]}', /Example 0: "target_scores" needs at least 2 choices/);
    refuses('{"examples": [{"input": "x", "target_scores": {"a": 0, "b": 0}}]}', /Example 0: every score in "target_scores" is 0/);
    refuses('{"examples": [{"input": "x", "target_scores": {"a": 1, "a ": 0}}]}', /Example 0: "target_scores" lists the choice "a" twice/);
    refuses('{"examples": [{"input": "x", "target_scores": {"a": 1, "b": "high"}}]}', /must be a finite number, got a string/);
    refuses('{"task_prefix": 3, "examples": [{"input": "x", "target": "1"}]}', /"task_prefix" must be text/);
    refuses('{"append_choices_to_input": "yes", "examples": [{"input": "x", "target": "1"}]}', /"append_choices_to_input" must be true or false/);
    refuses(`{"examples": [${Array.from({ length: MAX_EXAMPLES + 1 }, () => '{"input":"x","target":"1"}').join(',')}]}`, /at most 10,000/);
    refuses(' '.repeat(MAX_TASK_FILE_CHARS + 1), /accepts task files up to 8 MB/);
    refuses('{"examples": [{"input": "' + 'x'.repeat(20_000) + '", "target": "1"}]}', /Example 0: "input" is 20000 characters long/);
  });

  it('keeps HTML and script in any text as plain text (never interpreted)', () => {
    const { data } = parseTaskFile(JSON.stringify({ name: '<img src=x onerror=alert(1)>', examples: [{ input: '<script>alert(1)</script>', target: '<b>4</b>' }] }), 't.json');
    const [item] = generateImportedItems(spec('h'), data) as GenerationItem[];
    expect(item.prompt).toContain('<script>alert(1)</script>');
    expect(item.target).toBe(' <b>4</b>');
    expect(item.variant).toBe('img-src-x-onerror-alert-1');
  });
});

describe('JSONL task files (BIG-Bench-Hard layout)', () => {
  it('one example per line, lm-eval BBH formatting', () => {
    const data = parseJsonlTask(fixture('sums-gen.jsonl'), 'sums-gen.jsonl');
    expect(data.examples).toHaveLength(6);
    const [first] = generateImportedItems(spec('h', { format: 'jsonl' }), data) as GenerationItem[];
    expect(first.prompt).toBe('Q: 12+34=\nA:');
    expect(first.target).toBe(' 46');
    expect(first.stop).toContain('\n');
  });

  it('names the line of a bad example', () => {
    const parse = (t: string) => parseJsonlTask(t, 'x.jsonl');
    refuses('{"input": "a", "target": "b"}\n{"input": "a"', /Line 2 is not valid JSON/, parse);
    refuses('{"input": "a", "target": "b"}\n\n{"input": "a"}', /Line 3 has neither/, parse);
    refuses('\n\n', /no examples/, parse);
  });

  it('detects the format by extension, else by content', () => {
    expect(parseTaskFile(fixture('sums-gen.jsonl'), 'noext').data.format).toBe('jsonl');
    expect(parseTaskFile(fixture('sums-choice.json'), 'noext').data.format).toBe('bigbench');
  });
});

/** The sum in an "a+b=" prompt (the fixture's examples are all of that form). */
function eval2(prompt: string): number {
  const m = /(\d+)\+(\d+)=$/.exec(prompt)!;
  return Number(m[1]) + Number(m[2]);
}
