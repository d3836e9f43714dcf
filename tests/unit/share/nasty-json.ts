/**
 * fast-check arbitrary of JSON texts made from a valid document by a few hostile edits:
 * a value replaced by a wrong type, a huge or non-finite number, a NaN-like string, a long
 * string or deep nesting; a "__proto__"/"constructor" key added; or the text cut or spliced.
 */
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const NASTY: Json[] = [
  null, true, false, 0, -1, 1.5, -0.0, 1e308, -1e308, 2 ** 53 + 2, 1e-320, 'NaN', 'Infinity', '-Infinity', '1e999', '', ' ',
  'x'.repeat(5000), [], {}, [null], { a: 1 }, '__proto__', 'constructor', '2025-13-45T99:99:99Z', '\u0000', '\ud800', 'add/1d',
];

/** Paths to every value in a document. */
function paths(doc: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(doc)) doc.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (doc && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) paths(v, [...prefix, k], out);
  return out;
}

function setAt(doc: Json, path: (string | number)[], value: Json): Json {
  if (path.length === 0) return value;
  const copy = (Array.isArray(doc) ? [...doc] : { ...(doc as object) }) as Record<string | number, Json>;
  copy[path[0]] = setAt(copy[path[0]], path.slice(1), value);
  return copy as Json;
}

type Edit = { kind: 'replace'; at: number; value: Json } | { kind: 'proto'; at: number; key: string } | { kind: 'deep'; at: number } | { kind: 'inf'; at: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...NASTY), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>) }),
  fc.record({ kind: fc.constant('proto' as const), at: fc.nat(), key: fc.constantFrom('__proto__', 'constructor', 'prototype') }),
  fc.record({ kind: fc.constant('deep' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('inf' as const), at: fc.nat() }),
);

export function nastyJson(valid: Json): fc.Arbitrary<string> {
  const all = paths(valid);
  return fc.tuple(fc.array(edit, { minLength: 1, maxLength: 3 }), fc.nat(), fc.boolean()).map(([edits, cut, doCut]) => {
    let doc = valid;
    const raw: string[] = [];
    for (const e of edits) {
      const path = all[e.at % all.length];
      if (e.kind === 'replace') doc = setAt(doc, path, e.value);
      else if (e.kind === 'deep') doc = setAt(doc, path, JSON.parse('['.repeat(500) + ']'.repeat(500)) as Json);
      else if (e.kind === 'proto') raw.push(e.key);
      else raw.push('inf');
    }
    let text = JSON.stringify(doc);
    // Keys JSON.stringify would not write as own keys, and numbers JSON cannot hold.
    for (const r of raw) {
      if (r === 'inf') text = text.replace(/(:)(-?\d+(\.\d+)?)/, '$11e999');
      else text = text.replace('{', `{"${r}":{"polluted":true},`);
    }
    return doCut && cut % 5 === 0 ? text.slice(0, cut % (text.length + 1)) : text;
  });
}
