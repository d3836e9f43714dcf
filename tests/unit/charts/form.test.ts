import { describe, expect, it } from 'vitest';
import { checkForm, formFromSpec, specErrorsByField, taskErrorField, type ExperimentForm } from '../../../src/lib/charts/form.ts';
import { defaultSpec } from '../../../src/lib/catalog/ladder.ts';
import { SpecError } from '../../../src/lib/spec/errors.ts';
import { TaskError } from '../../../src/lib/tasks/errors.ts';
import { testLadder } from './fixtures.ts';

const ladder = testLadder([['big', 900], ['small', 90]]);

const defaults = (): ExperimentForm => formFromSpec(defaultSpec(ladder, 'webgpu'));

describe('experiment form', () => {
  it('the default form gives the default spec', () => {
    const check = checkForm(defaults(), ladder, true);
    expect(check.errors).toEqual({});
    expect(check.spec).toEqual(defaultSpec(ladder, 'webgpu'));
    expect(check.itemCount).toBe(5 * 40);
  });

  it('models are listed by scale whatever the checkbox order; the backend sets every device', () => {
    const check = checkForm({ ...defaults(), models: ['arith/big', 'arith/small'], backend: 'wasm' }, ladder, true);
    expect(check.spec!.models.map((m) => [m.id, m.device])).toEqual([
      ['arith/small', 'wasm'],
      ['arith/big', 'wasm'],
    ]);
  });

  it('out-of-range numbers are refused with a message on their field', () => {
    const check = checkForm({ ...defaults(), perVariant: 5000, seed: -1, kShot: 99 }, ladder, true);
    expect(check.spec).toBeNull();
    expect(check.errors.perVariant).toBe('Items per variant must be at most 1000.');
    expect(check.errors.seed).toBe('Seed must be at least 0.');
    expect(check.errors.kShot).toBe('K-shot must be at most 8.');
  });

  it('empty and fractional inputs are refused', () => {
    expect(checkForm({ ...defaults(), perVariant: null }, ladder, true).errors.perVariant).toBe('Items per variant must be a number.');
    expect(checkForm({ ...defaults(), perVariant: undefined }, ladder, true).errors.perVariant).toBe('Items per variant must be a number.');
    expect(checkForm({ ...defaults(), seed: 1.5 }, ladder, true).errors.seed).toBe('Seed must be a whole number.');
  });

  it('no models or no digit counts are refused', () => {
    expect(checkForm({ ...defaults(), models: [] }, ladder, true).errors.models).toBe('Choose at least one model.');
    expect(checkForm({ ...defaults(), digits: [] }, ladder, true).errors.digits).toBe('Choose at least one digit count.');
  });

  it('task generator errors land on the field to change', () => {
    const tooMany = checkForm({ ...defaults(), digits: [1], perVariant: 101 }, ladder, true);
    expect(tooMany.errors.perVariant).toMatch(/Only 100 distinct 1-digit problems exist/);
    const kShot = checkForm({ ...defaults(), kShot: 2 }, ladder, true);
    expect(kShot.errors.kShot).toMatch(/no k-shot form/);
    expect(checkForm({ ...defaults(), kShot: 2, template: 'qa' }, ladder, true).spec).not.toBeNull();
  });

  it('WebGPU is refused when the browser has none', () => {
    const check = checkForm(defaults(), ladder, false);
    expect(check.spec).toBeNull();
    expect(check.errors.backend).toMatch(/WASM/);
    expect(checkForm({ ...defaults(), backend: 'wasm' }, ladder, false).spec).not.toBeNull();
  });

  it('maps spec issues and task errors to fields', () => {
    expect(specErrorsByField(new SpecError('x', ['task.digits.2: digit count must be at most 8', 'bootstrapSeed: bad']))).toEqual({
      digits: 'Digit count must be at most 8.',
      form: 'Bad.',
    });
    expect(taskErrorField(new TaskError('Unknown arithmetic operation "pow".'))).toBe('operation');
    expect(taskErrorField(new TaskError('Something else.'))).toBe('form');
  });
});
