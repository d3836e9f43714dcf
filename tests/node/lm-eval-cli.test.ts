/** npm run lm-eval end to end: export a task folder, import harness-shaped logs, merge two run files, refuse bad input. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/cli/node-engine.ts';
import { parseRunFile, serializeRunFile } from '../../src/lib/share/run-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'lm-eval-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/lm-eval.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('npm run lm-eval', () => {
  it('exports a task folder for the qa template and refuses the end-token template', () => {
    const out = join(dir, 'task');
    const r = cli('export', '--task', 'add-choice', '--digits', '2-3', '--n', '5', '--out', out);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'emergence-lab-spec.json', 'emergence_lab_add_choice_2d.jsonl', 'emergence_lab_add_choice_2d.yaml', 'emergence_lab_add_choice_3d.jsonl', 'emergence_lab_add_choice_3d.yaml']);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('--tasks emergence_lab_add_choice_2d,emergence_lab_add_choice_3d');
    const refused = cli('export', '--template', 'arith-plain', '--out', join(dir, 'plain'));
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/end token/);
  }, 60_000);

  it('imports logs into a run file and merges two runs', () => {
    const runPath = join(dir, 'gen.json');
    const r = cli('import', join(REPO_ROOT, 'tests/fixtures/lm-eval/gen/results'), '--out', runPath);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.out).toContain('6 of 6 lm-eval aggregates agree');
    const run = parseRunFile(readFileSync(runPath, 'utf8'));
    expect(run.models).toHaveLength(3);
    // Split it into two files (as if from two clusters) and merge them back.
    const a = { ...run, models: run.models.slice(0, 1), spec: { ...run.spec, models: run.spec.models.slice(0, 1) } };
    const b = { ...run, models: run.models.slice(1), spec: { ...run.spec, models: run.spec.models.slice(1) } };
    writeFileSync(join(dir, 'a.json'), serializeRunFile(a));
    writeFileSync(join(dir, 'b.json'), serializeRunFile(b));
    const m = cli('merge', join(dir, 'a.json'), join(dir, 'b.json'), '--out', join(dir, 'merged.json'));
    expect(m.code).toBe(0);
    const merged = parseRunFile(readFileSync(join(dir, 'merged.json'), 'utf8'));
    expect(merged.models.map((x) => x.id)).toEqual(run.models.map((x) => x.id));
    expect(merged.models.map((x) => x.provenance?.label)).toEqual(['lm-eval 0.4.9 · batch 1 (a.json)', 'lm-eval 0.4.9 · batch 1 (b.json)', 'lm-eval 0.4.9 · batch 1 (b.json)']);
    const bad = cli('import', join(REPO_ROOT, 'tests/fixtures/lm-eval/gen/task'), '--out', join(dir, 'x.json'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/is a results_\*\.json file/);
  }, 60_000);
});
