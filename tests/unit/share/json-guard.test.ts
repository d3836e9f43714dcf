import { describe, expect, it } from 'vitest';
import { checkJsonShape, excerptAt, firstJsonErrorOffset, guardJson, JsonGuardError, MAX_EXCERPT_CHARS } from '../../../src/lib/util/json-guard.ts';

const limits = { maxDepth: 8, maxBytes: 10_000, what: 'The file' };
/** Longest message part that is not the input: the fixed sentences around the excerpt. */
const MESSAGE_BUDGET = 320;

function refusal(text: string, l = limits): JsonGuardError {
  try {
    guardJson(text, l);
  } catch (err) {
    if (err instanceof JsonGuardError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('guardJson', () => {
  it('parses ordinary JSON, brackets inside strings and escaped quotes included', () => {
    expect(guardJson('{"a":[1,{"b":"[[[[[[[[[[[\\"]]]"}]}', limits)).toEqual({ a: [1, { b: '[[[[[[[[[[["]]]' }] });
    expect(guardJson('[[[[[[[[1]]]]]]]]', limits)).toEqual([[[[[[[[1]]]]]]]]);
  });

  it('refuses nesting past maxDepth, saying where, with a short excerpt', () => {
    const err = refusal('{"x":' + '['.repeat(5_000));
    expect(err.reason).toBe('too-deep');
    expect(err.offset).toBe(12); // "{" is level 1, the 8th "[" (offset 12) level 9
    expect(err.message).toMatch(/^The file nests arrays or objects more than 8 levels deep \(at character 12: "/);
    expect(err.message).toMatch(/check where it came from\.$/);
  });

  it('refuses oversize input before scanning it, counting UTF-8 bytes', () => {
    expect(refusal('"' + 'a'.repeat(20_000) + '"').reason).toBe('too-large');
    // 4,000 characters of 3-byte text is 12,000 bytes: over the limit though short in characters.
    const err = refusal('"' + '€'.repeat(4_000) + '"');
    expect(err.reason).toBe('too-large');
    expect(err.message).toMatch(/larger than the 10\.0 kB this lab accepts/);
    expect(err.offset).toBeNull();
  });

  it('turns JSON.parse errors into a readable message that never passes the parser\'s text on', () => {
    const long = '{"a": ' + 'x'.repeat(5_000) + '}';
    const err = refusal(long);
    expect(err.reason).toBe('invalid');
    expect(err.message).toMatch(/^The file is not valid JSON \(at character 6: "/);
    expect(err.message).not.toMatch(/Unexpected token/);
    expect(refusal('{"a": [1, 2').message).toMatch(/not valid JSON \(it ends too early\)/);
    for (const [bad, at] of [['{"a" 1}', 5], ['[1,]', 3], ['tru', 3], ['[01]', 2], ['{"a":1}x', 7], ['"\\q"', 1], ['[1 2]', 3]] as const) {
      expect(firstJsonErrorOffset(bad)).toBe(at);
    }
  });

  it('no refusal message quotes more than the excerpt limit of its input', () => {
    const hostile = [
      '['.repeat(100_000),
      '{"a":'.repeat(9) + '1' + '}'.repeat(9),
      '{"k": "' + 'A'.repeat(9_000) + '" ' + 'B'.repeat(900),
      '\u0000\u0001\u0002'.repeat(3_000),
      'x'.repeat(50_000),
      '"' + '\u2028'.repeat(3_000),
      'nul' + 'l'.repeat(9_000),
    ];
    for (const text of hostile) {
      const err = refusal(text);
      const quoted = /"([^"]*)"/.exec(err.message.replace(/^[^(]*\(at character \d+: /, ''))?.[1] ?? '';
      // Escaped control characters take 6 characters each; the input behind them is bounded.
      expect(quoted.replace(/\\u[0-9a-f]{4}/g, '?').replace(/…/g, '').length).toBeLessThanOrEqual(MAX_EXCERPT_CHARS);
      expect(err.message.length).toBeLessThanOrEqual(MESSAGE_BUDGET + MAX_EXCERPT_CHARS * 6);
    }
  });
});

describe('excerptAt', () => {
  it('shows at most the limit around the place, escapes control characters, marks cuts', () => {
    const text = 'abcdefghijklmnopqrstuvwxyz'.repeat(10);
    const e = excerptAt(text, 100, 10);
    expect(e).toBe('…rstuvwxyza…');
    expect(excerptAt('a\nb', 1)).toBe('a\\u000ab');
    expect(excerptAt('short', 0)).toBe('short');
  });
});

describe('checkJsonShape', () => {
  it('accepts exactly maxDepth levels and refuses one more', () => {
    expect(() => checkJsonShape('['.repeat(8) + ']'.repeat(8), limits)).not.toThrow();
    expect(() => checkJsonShape('['.repeat(9) + ']'.repeat(9), limits)).toThrow(JsonGuardError);
  });
});
