/** The bundled ladders' PyTorch reference outputs (static/models/<ladder>/<id>/golden.json) as engine items. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODELS_DIR } from '../../src/cli/node-engine.ts';
import type { GenerationItem } from '../../src/lib/tasks/types.ts';

export interface GoldenItem {
  prompt: string;
  target: string;
  digits: number;
  target_token_ids: number[];
  target_logprobs: number[];
  greedy_token_ids: number[];
  greedy_text: string;
  exact_match: boolean;
}

export interface GoldenFile {
  greedy_margin: number;
  items: GoldenItem[];
}

export function loadGolden(modelFolder: string, ladder = 'arith'): GoldenFile {
  return JSON.parse(readFileSync(join(MODELS_DIR, ladder, modelFolder, 'golden.json'), 'utf8')) as GoldenFile;
}

export function goldenAsItems(items: GoldenItem[]): GenerationItem[] {
  return items.map((g, i) => {
    const [a, b] = g.prompt.slice(0, -1).split('+').map(Number);
    return { kind: 'generation', id: `golden-${i}`, variant: `add/${g.digits}d`, prompt: g.prompt, target: g.target, endToken: true, stop: ['\n'], meta: { operation: 'add', digits: g.digits, a, b } };
  });
}
