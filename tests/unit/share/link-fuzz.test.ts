/**
 * Property-based fuzzing of decodeShareLink: random text, base64 garbage, deflate of random
 * bytes, bombs, truncations, bit flips of valid links, and payloads with a valid checksum but
 * mutated header JSON or binary sections. Every input must give a SharedRun or a
 * LinkDecodeError without a `cause` (a cause means an unexpected error was caught: a bug).
 * Valid links are r2 (recomputed and residual numbers, items) and r1 (fixtures of the r1
 * encoder). 10,500 inputs here; run-file-fuzz.test.ts adds 3,000 for parseRunFile.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeBase64url } from '../../../src/lib/share/base64url.ts';
import { decodeShareLink, encodeShareLink, LinkDecodeError, LINK_PREFIX } from '../../../src/lib/share/index.ts';
import { syntheticRun } from './synthetic-run.ts';
import { deflateFast, fragmentOf, fragmentOfContent, payloadOf, splitPayload } from './link-helpers.ts';
import { nastyJson } from './nasty-json.ts';

const run = syntheticRun({ models: 2, digits: [1, 2], perVariant: 6 });
const withItems = encodeShareLink(run).fragment;
const partial = structuredClone(run);
partial.models[1].items = partial.models[1].items.slice(2, 9);
const withSome = encodeShareLink(partial, { maxChars: 1e6 }).fragment;
const aggOnly = encodeShareLink(run, { items: false }).fragment;
const r1Links = Object.values(JSON.parse(readFileSync(new URL('./fixtures/r1-links.json', import.meta.url), 'utf8')) as Record<string, { fragment: string }>).map((f) => f.fragment);
const valid = [withItems, withSome, aggOnly, ...r1Links];
// The corpus must exercise what r2 adds: recomputed numbers and residuals from estimates.
const r2Tags = (f: string) => {
  const { rest } = splitPayload(payloadOf(f));
  return new Set(rest.subarray(0, 400));
};

function check(input: string): void {
  try {
    const shared = decodeShareLink(input);
    // Accepted: must be a structurally sound run.
    expect(shared.models.length).toBeLessThanOrEqual(16);
  } catch (e) {
    if (!(e instanceof LinkDecodeError) || e.cause !== undefined) throw e;
    expect(e.message.length).toBeGreaterThan(10);
  }
}

const prop = (arb: fc.Arbitrary<string>, numRuns: number) => fc.assert(fc.property(arb, (s) => check(s)), { numRuns });

// The machine may be shared: generous per-test limits (no timing is tested); on an idle
// machine this file takes ~10 s of CPU.
const SLOW = 300_000;

describe('decodeShareLink fuzz (10,500 inputs)', () => {
  it('the corpus: r2 links with recomputed numbers and residuals, r1 links', () => {
    expect([withItems, withSome, aggOnly].every((f) => f.startsWith('#r3.'))).toBe(true);
    expect(r1Links.length).toBe(3);
    expect(r1Links.every((f) => f.startsWith('#r1.'))).toBe(true);
    expect(encodeShareLink(run).recomputed).toBeGreaterThan(0);
    for (const f of valid) check(f);
    expect(r2Tags(withItems).has(3) && r2Tags(withItems).has(4)).toBe(true);
  });


  it('random strings and near-links (2,000)', () => {
    prop(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 100 }), fc.string({ maxLength: 200 }).map((s) => `#r1.${s}`), fc.nat(999_999).map((v) => `#r${v}.AAAA`)), 2000);
  }, SLOW);

  it('valid base64url of random bytes (1,500)', () => {
    prop(fc.uint8Array({ maxLength: 2000 }).map((b) => LINK_PREFIX + encodeBase64url(b)), 1500);
  }, SLOW);

  it('valid deflate of random bytes, with and without a valid checksum (1,000)', () => {
    prop(fc.uint8Array({ maxLength: 3000 }).map((b) => LINK_PREFIX + encodeBase64url(deflateFast(b))), 500);
    prop(fc.uint8Array({ maxLength: 3000 }).map(fragmentOfContent), 500);
  }, SLOW);

  it('deflate bombs are refused as too large', () => {
    for (const mb of [2.5, 8]) {
      const bomb = LINK_PREFIX + encodeBase64url(deflateFast(new Uint8Array(mb * 2 ** 20)));
      let code = '';
      try {
        decodeShareLink(bomb);
      } catch (e) {
        code = (e as LinkDecodeError).code;
      }
      expect(code).toBe('too-large');
    }
  }, SLOW);

  it('truncations of valid links (600)', () => {
    prop(fc.tuple(fc.constantFrom(...valid), fc.nat()).map(([f, n]) => f.slice(0, n % f.length)), 600);
  }, SLOW);

  it('bit flips and character changes of valid links (1,500)', () => {
    const flipped = fc.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.nat(63)), { minLength: 1, maxLength: 4 })).map(([f, edits]) => {
      const chars = [...f];
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      for (const [at, c] of edits) chars[4 + (at % (chars.length - 4))] = alphabet[c];
      return chars.join('');
    });
    prop(flipped, 1500);
  }, SLOW);

  it('valid checksum, mutated binary sections of r2 and r1 links (1,200)', () => {
    const parts = valid.map((f) => ({ ...splitPayload(payloadOf(f)), prefix: f.slice(0, 4) }));
    const mutated = fc
      .tuple(fc.nat(parts.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }), fc.nat(40))
      .map(([k, edits, cut]) => {
        const rest = parts[k].rest.slice(0, Math.max(0, parts[k].rest.length - (cut < 35 ? 0 : cut)));
        for (const [at, b] of edits) if (rest.length) rest[at % rest.length] = b;
        return fragmentOf(parts[k].header, rest, parts[k].prefix);
      });
    prop(mutated, 1200);
  }, SLOW);

  it('valid checksum, r2 number tags rewritten to recomputed / near-estimate / stored, residuals changed (1,500)', () => {
    // Tags sit right after the header: rewrite some to 0–5 (and beyond), so stored numbers
    // become recomputed ones in cells, emergence scores, links without items, and back.
    const parts = [withItems, withSome, aggOnly].map((f) => splitPayload(payloadOf(f)));
    const mutated = fc
      .tuple(fc.nat(parts.length - 1), fc.array(fc.tuple(fc.nat(600), fc.oneof(fc.integer({ min: 0, max: 5 }), fc.nat(255))), { minLength: 1, maxLength: 8 }), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 3 }))
      .map(([k, tagEdits, tailEdits]) => {
        const rest = parts[k].rest.slice();
        for (const [at, t] of tagEdits) rest[at % rest.length] = t;
        for (const [at, b] of tailEdits) rest[rest.length - 1 - (at % Math.min(rest.length, 2000))] = b;
        return fragmentOf(parts[k].header, rest);
      });
    prop(mutated, 1500);
  }, SLOW);

  it('valid checksum, mutated header JSON: wrong types, huge numbers, NaN-like strings, __proto__ (1,200)', () => {
    // (r2 links only: fragmentOf writes the current format.)
    const parts = [withItems, withSome, aggOnly].map((f) => splitPayload(payloadOf(f)));
    prop(fc.oneof(...parts.map((p) => nastyJson(JSON.parse(p.header)).map((text) => fragmentOf(text, p.rest)))), 1200);
  }, SLOW);
});
