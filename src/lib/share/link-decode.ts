/**
 * decodeShareLink: a URL fragment → a validated SharedRun, or a LinkDecodeError whose message
 * tells the visitor what to do. Nothing here fetches, stores or executes anything.
 */
import { decodeBase64url } from './base64url.ts';
import { PayloadError } from './bytes.ts';
import { LinkDecodeError } from './errors.ts';
import { inflateCapped } from './inflate.ts';
import { LINK_PATTERN, LINK_PREFIX, LINK_VERSION, OLDEST_LINK_VERSION } from './link-format.ts';
import { MAX_FRAGMENT_CHARS, MAX_INFLATED_BYTES } from './limits.ts';
import { readPayload } from './payload-read.ts';
import type { SharedRun } from './shared-run.ts';
import { aggregateRangeProblem } from '../results/consistency.ts';

const DAMAGED = 'This link is damaged: it was probably cut off or changed when it was copied. Copy the whole link again, or ask the sender for the JSON file.';

/** Accepts "#r3.…", "r3.…" (or r1, r2) or a whole URL that ends in such a fragment. */
export function decodeShareLink(fragment: string): SharedRun {
  if (typeof fragment !== 'string') throw new LinkDecodeError('This is not an Emergence Lab link.', 'not-a-link');
  let text = fragment.trim();
  const hash = text.indexOf('#');
  if (hash > 0) text = text.slice(hash);
  if (text.length > MAX_FRAGMENT_CHARS) {
    throw new LinkDecodeError(`This link is too long (${text.length} characters; Emergence Lab links are at most ${MAX_FRAGMENT_CHARS}). Ask the sender for the JSON file.`, 'too-large');
  }
  const m = LINK_PATTERN.exec(text);
  if (!m) throw new LinkDecodeError(`This is not an Emergence Lab result link (it should end in "${LINK_PREFIX}" followed by letters and digits).`, 'not-a-link');
  const version = Number(m[1]);
  if (version > LINK_VERSION) {
    throw new LinkDecodeError(`This link was made by a newer version of Emergence Lab (link format ${version}); this lab reads formats ${OLDEST_LINK_VERSION} to ${LINK_VERSION}. Open it in the newer lab or update this one.`, 'newer-version');
  }
  if (version < OLDEST_LINK_VERSION) throw new LinkDecodeError('This is not an Emergence Lab result link (unknown format 0).', 'not-a-link');
  const compressed = decodeBase64url(m[2]);
  if (!compressed || compressed.length === 0) throw new LinkDecodeError(DAMAGED, 'damaged');
  const inflated = inflateCapped(compressed, MAX_INFLATED_BYTES);
  if (!inflated.ok) {
    if (inflated.reason === 'too-large') {
      throw new LinkDecodeError(`This link expands to more than ${MAX_INFLATED_BYTES / 2 ** 20} MB, far more than any real run; it was not opened.`, 'too-large');
    }
    throw new LinkDecodeError(DAMAGED, 'damaged');
  }
  let shared: SharedRun;
  try {
    shared = readPayload(inflated.bytes, version === 1 ? 1 : version === 2 ? 2 : 3);
  } catch (e) {
    if (e instanceof LinkDecodeError) throw e;
    if (e instanceof PayloadError) throw new LinkDecodeError(DAMAGED, 'damaged', [e.message]);
    // Unexpected: still a LinkDecodeError for the visitor, with the cause kept for bug reports.
    throw new LinkDecodeError(DAMAGED, 'damaged', [String(e)], { cause: e });
  }
  // A validly encoded link may still carry numbers no run can have (an edited payload).
  for (const m of shared.models) {
    for (const v of m.aggregates.variants) {
      for (const [id, cell] of Object.entries(v.metrics)) {
        const problem = aggregateRangeProblem(id, cell);
        if (problem) throw new LinkDecodeError(`This link's numbers are impossible (${m.id}, ${v.variant}: ${problem}); it was edited or made by a faulty tool. Ask the sender for a new link or the JSON file.`, 'invalid', [problem]);
      }
    }
  }
  return shared;
}
