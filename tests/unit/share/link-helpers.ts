/** Test helpers that build link payloads by hand (valid CRC, chosen header or body bytes). */
import { encodeBase64url } from '../../../src/lib/share/base64url.ts';
import { ByteReader, ByteWriter } from '../../../src/lib/share/bytes.ts';
import { crc32 } from '../../../src/lib/share/crc32.ts';
import { deflateSync } from 'fflate';
import { inflateCapped } from '../../../src/lib/share/inflate.ts';
import { decodeBase64url } from '../../../src/lib/share/base64url.ts';
import { LINK_PREFIX } from '../../../src/lib/share/link-format.ts';
import { LinkDecodeError } from '../../../src/lib/share/errors.ts';
import { expect } from 'vitest';

/** Compression does not matter for crafted inputs: store small ones (fastest), squeeze big ones under the length cap. */
export function deflateFast(bytes: Uint8Array): Uint8Array {
  return deflateSync(bytes, { level: bytes.length < 8192 ? 0 : 1 });
}

/** Payload bytes (inflated, CRC included) of a fragment. */
export function payloadOf(fragment: string): Uint8Array {
  const b = decodeBase64url(fragment.slice(LINK_PREFIX.length));
  if (!b) throw new Error('bad test fragment');
  const r = inflateCapped(b, 1 << 24);
  if (!r.ok) throw new Error('bad test fragment');
  return r.bytes;
}

/** A fragment of arbitrary content bytes, with a correct CRC appended. */
export function fragmentOfContent(content: Uint8Array, prefix = LINK_PREFIX): string {
  const w = new ByteWriter();
  w.bytes(content);
  w.u32(crc32(content));
  return prefix + encodeBase64url(deflateFast(w.finish()));
}

/** Split a payload into its header JSON text and the bytes after it (CRC removed). */
export function splitPayload(payload: Uint8Array): { header: string; rest: Uint8Array } {
  const content = payload.subarray(0, payload.length - 4);
  const r = new ByteReader(content);
  const header = new TextDecoder().decode(r.bytes(r.varuint()));
  return { header, rest: content.slice(r.pos) };
}

/** Reassemble a payload from header text and rest bytes (correct CRC), as a fragment ("#r1." for r1 payloads). */
export function fragmentOf(header: string, rest: Uint8Array, prefix = LINK_PREFIX): string {
  const w = new ByteWriter();
  const json = new TextEncoder().encode(header);
  w.varuint(json.length);
  w.bytes(json);
  w.bytes(rest);
  return fragmentOfContent(w.finish(), prefix);
}

/** f throws a LinkDecodeError with this code; its issues and message match when given. */
export function expectLinkDecodeError(f: () => unknown, code: string, match: { issue?: RegExp; message?: RegExp } = {}): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(LinkDecodeError);
  expect((err as LinkDecodeError).code).toBe(code);
  if (match.issue) expect((err as LinkDecodeError).issues.join(' ')).toMatch(match.issue);
  if (match.message) expect((err as Error).message).toMatch(match.message);
}
