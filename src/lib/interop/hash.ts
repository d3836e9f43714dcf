/**
 * lm-evaluation-harness's hashes, reproduced so an import can check that a logged doc is the
 * doc the lab exported. The harness logs `doc_hash = hash_string(json.dumps(doc, indent=2,
 * ensure_ascii=False))`, `prompt_hash = hash_string(arguments[0][0])` and
 * `target_hash = hash_string(str(target))`, with `hash_string(s) = sha256(s.encode("utf-8")).hexdigest()`
 * (lm_eval/utils.py, lm_eval/evaluator.py).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

export function hashString(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/** A doc as the lab exports it: strings, whole numbers and lists of strings only (no floats, whose Python repr differs from JS). */
export type LmEvalDoc = Record<string, string | number | string[]>;

/**
 * Python's `json.dumps(doc, indent=2, ensure_ascii=False)` for such docs. JSON.stringify with
 * indent 2 writes the same bytes here: same separators (",", ": "), same escapes (\" \\ \n \r
 * \t \b \f, other control characters as lowercase \u00xx), non-ASCII kept, keys in insertion
 * order (the harness's datasets loader keeps the JSONL's column order).
 */
export function pythonJsonDumpsIndent2(doc: LmEvalDoc): string {
  for (const [k, value] of Object.entries(doc)) {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error(`doc field "${k}" must be a whole number (Python writes floats differently)`);
  }
  return JSON.stringify(doc, null, 2);
}

export function docHash(doc: LmEvalDoc): string {
  return hashString(pythonJsonDumpsIndent2(doc));
}
