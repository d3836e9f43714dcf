import { MetricError } from './errors.ts';

/** Shared input checks. They throw MetricError so NaN never leaks into a metric value. */

export function describeNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return String(x);
}

export function assertArray(value: unknown, field: string): asserts value is unknown[] {
  if (!Array.isArray(value)) throw new MetricError(`${field} must be an array, got ${typeof value}.`);
}

export function assertString(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string') throw new MetricError(`${field} must be a string, got ${typeof value}.`);
}

export function assertFinite(x: unknown, field: string): asserts x is number {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    const shown = typeof x === 'number' ? describeNumber(x) : typeof x;
    throw new MetricError(`${field} is ${shown}; it must be a finite number.`);
  }
}

export function assertFiniteArray(xs: unknown, field: string): asserts xs is number[] {
  assertArray(xs, field);
  xs.forEach((x, i) => assertFinite(x, `${field}[${i}]`));
}

export function assertIntegerArray(xs: unknown, field: string): asserts xs is number[] {
  assertArray(xs, field);
  xs.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isInteger(x)) {
      const shown = typeof x === 'number' ? describeNumber(x) : typeof x;
      throw new MetricError(`${field}[${i}] is ${shown}; token ids must be integers.`);
    }
  });
}

export function assertSameLength(a: readonly unknown[], aName: string, b: readonly unknown[], bName: string): void {
  if (a.length !== b.length) {
    throw new MetricError(
      `${aName} has ${a.length} entries but ${bName} has ${b.length}; they must have the same length (one entry each).`,
    );
  }
}
