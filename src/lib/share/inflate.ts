/**
 * Deflate with fflate, and inflate with a cap on the output: a link is untrusted, and a few
 * kilobytes of DEFLATE can expand a thousandfold (a "zip bomb"). Input is pushed in small
 * chunks so at most one chunk's expansion (~1 MB) is produced past the cap before we stop.
 */
import { deflateSync, Inflate } from 'fflate';

const CHUNK = 1024;

export function deflateMax(bytes: Uint8Array): Uint8Array {
  return deflateSync(bytes, { level: 9 });
}

export type InflateResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: 'too-large' | 'damaged' };

export function inflateCapped(data: Uint8Array, maxBytes: number): InflateResult {
  const parts: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  let over = false;
  const inflater = new Inflate((chunk, final) => {
    total += chunk.length;
    if (total > maxBytes) over = true;
    else parts.push(chunk);
    if (final) ended = true;
  });
  try {
    for (let i = 0; i < data.length && !over; i += CHUNK) {
      const end = Math.min(i + CHUNK, data.length);
      inflater.push(data.subarray(i, end), end === data.length);
    }
    if (data.length === 0) inflater.push(data, true);
  } catch {
    return { ok: false, reason: 'damaged' };
  }
  if (over) return { ok: false, reason: 'too-large' };
  if (!ended) return { ok: false, reason: 'damaged' };
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { ok: true, bytes: out };
}
