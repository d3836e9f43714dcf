/**
 * JSON.parse keeps "__proto__" as an ordinary own key, and valibot drops such keys from
 * records without a word. We refuse them instead: no data of ours uses them, so one is a sign
 * of a crafted file, and nothing should fail silently.
 */
const RESERVED = new Set(['__proto__', 'prototype', 'constructor']);

/** Path of the first reserved key in parsed JSON, or null. Iterative: deep nesting is fine. */
export function findReservedKey(data: unknown): string | null {
  const stack: { value: unknown; path: string }[] = [{ value: data, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, path: `${path}[${i}]` }));
      continue;
    }
    for (const key of Object.keys(value)) {
      const at = path ? `${path}.${key}` : key;
      if (RESERVED.has(key)) return at;
      stack.push({ value: (value as Record<string, unknown>)[key], path: at });
    }
  }
  return null;
}
