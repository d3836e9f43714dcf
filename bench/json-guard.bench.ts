/**
 * npx tsx bench/json-guard.bench.ts
 * How long refusing deeply nested JSON takes with guardJson's depth/size check before parsing,
 * against handing the same text to JSON.parse (what the lab did before; a schema walk over the
 * parsed value came on top of that). Prints ms per refusal and the ratio. A benchmark, not a
 * test: numbers vary by machine.
 */
import { guardJson, JsonGuardError } from '../src/lib/util/json-guard.ts';

const limits = { maxDepth: 64, maxBytes: 8_000_000, what: 'The input' };
const closed = (open: string, close: string, n: number) => open.repeat(n) + '1' + close.repeat(n);
const cases: [string, string][] = [
  ['100 kB of "["', '['.repeat(100_000)],
  ['1 MB of "["', '['.repeat(1_000_000)],
  ['7.9 MB of "["', '['.repeat(7_900_000)],
  ['100 kB of balanced [[…1…]]', closed('[', ']', 50_000)],
  ['1 MB of {"a":{"a":…}}', closed('{"a":', '}', 160_000)],
];

function time(fn: () => void, reps: number): number {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t0) / reps;
}

console.log('input'.padEnd(32), 'guardJson ms'.padStart(13), 'JSON.parse ms'.padStart(14), 'ratio'.padStart(8));
for (const [name, text] of cases) {
  const guard = time(() => {
    try {
      guardJson(text, limits);
      throw new Error('not refused');
    } catch (err) {
      if (!(err instanceof JsonGuardError)) throw err;
    }
  }, 20);
  const parse = time(() => {
    try {
      JSON.parse(text);
    } catch {
      // refused (or a stack overflow) either way
    }
  }, 5);
  console.log(name.padEnd(32), guard.toFixed(3).padStart(13), parse.toFixed(3).padStart(14), `${(parse / guard).toFixed(0)}x`.padStart(8));
}
