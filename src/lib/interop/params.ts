/**
 * Parameter counts of models an lm-eval import may name, so a ladder can be ordered by scale
 * without the model's config. Pythia: total parameters from the Pythia README table (Biderman
 * et al. 2023); 14M and 31M from the lab's Hub catalog.
 */
import { InteropError } from './errors.ts';

export const PYTHIA_SUITE: readonly { id: string; params: number }[] = [
  { id: 'EleutherAI/pythia-14m', params: 14_067_712 },
  { id: 'EleutherAI/pythia-31m', params: 30_494_720 },
  { id: 'EleutherAI/pythia-70m', params: 70_426_624 },
  { id: 'EleutherAI/pythia-160m', params: 162_322_944 },
  { id: 'EleutherAI/pythia-410m', params: 405_334_016 },
  { id: 'EleutherAI/pythia-1b', params: 1_011_781_632 },
  { id: 'EleutherAI/pythia-1.4b', params: 1_414_647_808 },
  { id: 'EleutherAI/pythia-2.8b', params: 2_775_208_960 },
  { id: 'EleutherAI/pythia-6.9b', params: 6_857_302_016 },
  { id: 'EleutherAI/pythia-12b', params: 11_846_072_320 },
];

/** Known counts, also under the "-deduped" names (same architecture). */
export function knownParams(modelId: string): number | null {
  const base = modelId.replace(/-deduped$/, '');
  return PYTHIA_SUITE.find((m) => m.id.toLowerCase() === base.toLowerCase())?.params ?? null;
}

/** "owner/name=160m,owner/other=1.4e9,x=12000000" → map (k, m, b suffixes and exponents accepted). */
export function parseParamsTable(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.lastIndexOf('=');
    if (eq <= 0) throw new InteropError(`--params "${part}": write name=count, e.g. EleutherAI/pythia-160m=162322944.`);
    const name = part.slice(0, eq).trim();
    const m = /^(\d+(?:\.\d+)?(?:e\d+)?)([kmb])?$/i.exec(part.slice(eq + 1).trim());
    if (!m) throw new InteropError(`--params "${part}": the count must be a number like 162322944, 160m or 1.4b.`);
    const scale = { k: 1e3, m: 1e6, b: 1e9 }[(m[2] ?? '').toLowerCase() as 'k' | 'm' | 'b'] ?? 1;
    const count = Math.round(Number(m[1]) * scale);
    if (!Number.isSafeInteger(count) || count <= 0) throw new InteropError(`--params "${part}": the count must be a positive whole number.`);
    out.set(name, count);
  }
  return out;
}
