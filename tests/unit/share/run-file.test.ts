import { describe, expect, it } from 'vitest';
import { parseRunFile, RunFileError, serializeRunFile } from '../../../src/lib/share/index.ts';
import { syntheticRun } from './synthetic-run.ts';

const run = syntheticRun({ models: 2, digits: [1, 2], perVariant: 5 });
const text = serializeRunFile(run);

function refusal(input: string): RunFileError {
  try {
    parseRunFile(input);
  } catch (e) {
    if (e instanceof RunFileError) return e;
    throw e;
  }
  throw new Error('accepted');
}

function edited(edit: (doc: Record<string, any>) => void): string {
  const doc = JSON.parse(text);
  edit(doc);
  return JSON.stringify(doc);
}

// Generous limit: the suite takes seconds, but the machine may be shared (no timing is tested).
describe('parseRunFile', { timeout: 60_000 }, () => {
  it('reads back what serializeRunFile wrote', () => {
    expect(parseRunFile(text)).toEqual(run);
  });

  it('empty, not JSON, cut off', () => {
    expect(refusal('')).toMatchObject({ code: 'empty' });
    expect(refusal('   \n')).toMatchObject({ code: 'empty' });
    expect(refusal('{"format":')).toMatchObject({ code: 'not-json' });
    expect(refusal(text.slice(0, text.length / 2)).message).toMatch(/cut off/);
  });

  it('not a run: other JSON, a spec file', () => {
    expect(refusal('[1,2]')).toMatchObject({ code: 'not-a-run' });
    expect(refusal('{"hello":1}')).toMatchObject({ code: 'not-a-run' });
    expect(refusal(JSON.stringify(run.spec)).message).toMatch(/experiment spec, not a run/);
  });

  it('a future version says "made by a newer version"', () => {
    const e = refusal(edited((d) => (d.version = 2)));
    expect(e.code).toBe('newer-version');
    expect(e.message).toMatch(/made by a newer version/);
    expect(refusal(edited((d) => (d.spec.version = 3))).code).toBe('newer-version');
  });

  it('names the offending field', () => {
    const e = refusal(edited((d) => (d.models[1].items[3].metrics.exact_match = 2)));
    expect(e.code).toBe('invalid');
    expect(e.issues.join('\n')).toMatch(/models\.1\.items\.3\.metrics\.exact_match/);
    expect(e.message).toMatch(/damaged or was edited/);
  });

  it('every number must be finite (1e999 parses as Infinity)', () => {
    const t = text.replace(/"mean": ?-?[0-9.e-]+/, '"mean":1e999');
    expect(refusal(t).issues.join()).toMatch(/finite/);
    expect(refusal(edited((d) => (d.models[0].aggregates.variants[0].metrics.exact_match.mean = 'NaN'))).code).toBe('invalid');
  });

  it('checks invariants: lo ≤ mean ≤ hi, token arrays of equal length, known models, unique ids', () => {
    expect(refusal(edited((d) => (d.models[0].aggregates.variants[0].metrics.exact_match.lo = 2))).issues.join()).toMatch(/lo ≤ mean ≤ hi/);
    expect(refusal(edited((d) => d.models[0].items[0].target_logprobs.push(-1))).issues.join()).toMatch(/same length/);
    expect(refusal(edited((d) => (d.models[0].id = 'evil/model'))).issues.join()).toMatch(/models in its spec/);
    expect(refusal(edited((d) => (d.models[0].items[1].id = d.models[0].items[0].id))).issues.join()).toMatch(/must not repeat/);
  });

  it('size limits: too many models, items, long strings', () => {
    expect(refusal(edited((d) => (d.models = Array.from({ length: 17 }, () => d.models[0])))).code).toBe('invalid');
    expect(refusal(edited((d) => (d.models[0].items[0].prompt = 'x'.repeat(20_001)))).issues.join()).toMatch(/longer than/);
    const many = edited((d) => (d.models[0].items = Array.from({ length: 50_001 }, () => 0)));
    expect(refusal(many)).toMatchObject({ code: 'too-large' });
  });

  it('prototype-pollution keys never reach Object.prototype', () => {
    const compact = JSON.stringify(run);
    const t = compact.replace('"metrics":{"exact_match":{"mean"', '"metrics":{"__proto__":{"polluted":true},"exact_match":{"mean"');
    expect(t).not.toBe(compact);
    expect(refusal(t).message).toMatch(/reserved key "models\.0\.aggregates\.variants\.0\.metrics\.__proto__"|reserved key/);
    expect(refusal(compact.replace('{', '{"__proto__":{"polluted":true},')).code).toBe('invalid');
    expect(refusal(compact.replace('"metrics":{"exact_match":{"mean"', '"metrics":{"constructor":{"mean":0,"lo":0,"hi":0,"n":1},"exact_match":{"mean"')).code).toBe('invalid');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
