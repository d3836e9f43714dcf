#!/usr/bin/env node
/**
 * `npm test`: every suite. Python tests of the training tool (when Debian's python3-torch is
 * there), then vitest's unit, Node-integration and browser projects. Without a Chromium the
 * browser suite is skipped LOUDLY; under CI=true a missing browser or torch is a failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CI = process.env.CI === 'true' || process.env.CI === '1';
const extraArgs = process.argv.slice(2);

function findChromium() {
  if (process.env.CHROME_PATH) return existsSync(process.env.CHROME_PATH) ? process.env.CHROME_PATH : null;
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/opt/google/chrome/chrome',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'].find((p) => existsSync(p)) ?? null;
}

function findTorchPython() {
  for (const py of [process.env.PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean)) {
    const r = spawnSync(py, ['-c', 'import torch, onnx'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

function banner(lines) {
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  console.log('\n' + '!'.repeat(width));
  for (const l of lines) console.log(`! ${l.padEnd(width - 4)} !`);
  console.log('!'.repeat(width) + '\n');
}

const skipped = [];
const py = findTorchPython();
if (py) {
  console.log(`\n> training tool tests (${py} -m unittest)`);
  const r = spawnSync(py, ['-m', 'unittest', 'discover', '-s', 'tests'], { cwd: 'training', stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
} else if (CI) {
  console.error('CI=true but no python3 with torch and onnx: install python3-torch python3-onnx (see .ci/run).');
  process.exit(1);
} else {
  skipped.push('training tool tests: no python3 with torch + onnx (apt-get install python3-torch python3-onnx libopenblas0-pthread)');
}

const projects = ['unit', 'node'];
if (findChromium()) projects.push('browser');
else if (CI) {
  console.error('CI=true but no Chromium found: install it (apt-get install chromium) or set CHROME_PATH.');
  process.exit(1);
} else {
  skipped.push('BROWSER SUITE SKIPPED: no Chromium found. Install it (apt-get install chromium) or set CHROME_PATH=/path/to/chrome, then run npm test again.');
}

if (skipped.length) banner(skipped);
const args = ['vitest', 'run', ...projects.flatMap((p) => ['--project', p]), ...extraArgs];
console.log(`> npx ${args.join(' ')}`);
const r = spawnSync('npx', args, { stdio: 'inherit' });
if (skipped.length) banner(['Some suites did not run (see above):', ...skipped]);
process.exit(r.status ?? 1);
