/** Files the lab downloads: the run results (same bytes as `npm run eval -- --out`) and names. */
import type { RunResult } from '../results/types.ts';
import { taskSlug } from '../tasks/imported/generate.ts';
import { getTaskKind } from '../tasks/registry.ts';

/** The results file text, formatted exactly as the CLI writes it. */
export function runResultJson(result: RunResult): string {
  return JSON.stringify(result, null, 1) + '\n';
}

function stamp(iso: string | null | undefined): string {
  const d = iso ? new Date(iso) : new Date();
  return Number.isNaN(d.getTime()) ? 'run' : d.toISOString().slice(0, 19).replace(/[:T]/g, '-');
}

export function runFileName(result: RunResult): string {
  const t = result.spec.task;
  const task = t.kind === 'arithmetic' ? t.operation : taskSlug(t.kind === 'imported' ? t.name : getTaskKind(t).shortLabel);
  return `emergence-run-${task}-${stamp(result.env.finishedAt ?? result.env.startedAt)}.json`;
}

export function chartFileName(panelId: string, resolution: number | 'all'): string {
  const safe = panelId.replace(/[^a-z0-9_-]/gi, '-');
  return `emergence-${safe}${resolution === 'all' ? '' : `-first${resolution}`}.png`;
}
