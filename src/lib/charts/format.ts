/** Number formatting shared by charts, tables and the item explorer. */
import { variantLabelOf } from '../tasks/registry.ts';
import type { TaskSpec } from '../tasks/schema.ts';

/** Parameter counts as 2.4K, 26.8K, 799K, 1.2M, 7B. */
export function formatParams(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [scale, unit] of units) {
    if (Math.abs(n) >= scale) {
      const v = n / scale;
      const digits = Math.abs(v) >= 100 ? 0 : 1;
      return `${Number(v.toFixed(digits))}${unit}`;
    }
  }
  return String(n);
}

/** A metric value for display: fixed decimals, "–" for null (metric does not apply). */
export function formatValue(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined) return '–';
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 10 ** -digits) return value.toExponential(1);
  return value.toFixed(digits);
}

/** A variant as visitors read it, as the task registry names it ("3-digit", "my-task (multiple choice)"). */
export function variantLabel(variant: string, task?: TaskSpec | null): string {
  return variantLabelOf(task ?? null, variant);
}

/** Short model name: the part after the ladder id ("arith/arith-l1-d12" → "arith-l1-d12"). */
export function modelLabel(modelId: string): string {
  const i = modelId.indexOf('/');
  return i >= 0 ? modelId.slice(i + 1) : modelId;
}

/** Milliseconds as "12 s", "3 min 05 s", "<1 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return '<1 s';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(s % 60).padStart(2, '0')} s`;
}

export function formatRate(tokensPerSecond: number | null): string {
  if (tokensPerSecond === null || !Number.isFinite(tokensPerSecond)) return '–';
  if (tokensPerSecond >= 1000) return `${(tokensPerSecond / 1000).toFixed(1)}K tok/s`;
  return `${Math.round(tokensPerSecond)} tok/s`;
}
