#!/usr/bin/env node
// `npm test`: type-check, build the renderer the e2e tests load and the CLI, then every test (unit, API, e2e in Chromium).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const reportDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-test-'));
const report = path.join(reportDir, 'vitest.json');

const steps = [
  ['type-check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
  ['renderer build', 'npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']],
  // The CLI tests run bin/sightline.mjs: rebuilt here, they test the compiled CLI that ships (after an edit the bin
  // would fall back to tsx, which is right for a person but slow and not what a user runs).
  ['CLI build', process.execPath, ['scripts/cli-build.mjs', '--strict']],
  ['tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]],
];
for (const [name, cmd, args] of steps) {
  console.log(`\n── ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n${name} failed (exit ${r.status ?? r.signal}).`);
    summary();
    process.exit(r.status ?? 1);
  }
}
summary();

/** One plain closing line that any CI log reader understands. */
function summary() {
  try {
    const j = JSON.parse(readFileSync(report, 'utf8'));
    console.log(`\n${j.numPassedTests} passed, ${j.numFailedTests} failed, ${j.numPendingTests + j.numTodoTests} skipped`);
  } catch {
    /* vitest did not get to write its report */
  }
  rmSync(reportDir, { recursive: true, force: true });
}
