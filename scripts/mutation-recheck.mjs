#!/usr/bin/env node
/**
 * Recheck the survivors of a Stryker report by planting each one by hand:
 *   node scripts/mutation-recheck.mjs reports/mutation/<set> [--all] [--timeout SECONDS] [--ids 12,40]
 *                                     [--tests common/formats/yaml.flow.cases.test.ts,…]
 *
 * Stryker's vitest runner sometimes records a mutant as "Survived" after running none of its tests
 * (`testsCompleted: 0` in the JSON report; stryker-js issue #6213). Seen here after timed-out mutants restart a
 * worker: in one run of common/metrics/cocoEval.ts, 74 of 112 "survivors" had run no test, and mutants such as an
 * inner loop's `i++` → `i--` (which hangs every test) were among them. Such a verdict measures nothing.
 *
 * By default this rechecks those no-test survivors; `--all` rechecks every survivor and uncovered mutant. Each one is
 * written into a scratch copy of the working tree (.scratch/mutation-recheck/<set>/, the tracked and untracked files,
 * node_modules linked), checked to still parse (a mutant that does not parse would be a false kill), and the test
 * files that cover it are run with vitest.mutate.config.ts, the tests Stryker uses. The copy is restored after each
 * mutant, also on Ctrl-C. Verdicts: killed (with the failing tests), timeout (past --timeout, default 60 s), survives,
 * syntax (not counted, as Stryker's CompileError), error (the run failed without a failing test: not counted).
 * Results go to reports/mutation/<set>/recheck.json; scripts/mutation-summary.mjs reads them beside Stryker's score.
 * `--tests` runs the test files given instead of the covering ones, to see which survivors a new test file kills
 * before Stryker runs again; its results are printed, not saved (they are not the tests Stryker measures with).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const all = args.includes('--all');
const timeoutS = Number(flag('--timeout') ?? 60);
const onlyIds = flag('--ids')?.split(',');
const testsGiven = flag('--tests')?.split(',').filter(Boolean);
const setDir = args.find((a) => !a.startsWith('--'));
if (!setDir || !existsSync(path.join(root, setDir, 'mutation.json')) || !(timeoutS > 0)) {
  console.error('usage: node scripts/mutation-recheck.mjs reports/mutation/<set> [--all] [--timeout SECONDS] [--ids 1,2] [--tests a.test.ts,b.test.ts]');
  process.exit(2);
}
const set = path.basename(path.resolve(root, setDir));
const report = JSON.parse(readFileSync(path.join(root, setDir, 'mutation.json'), 'utf8'));
const sha = (s) => createHash('sha256').update(s).digest('hex');

// The mutants to plant, file by file; each report file's source must be the working tree's.
const todo = [];
for (const [file, f] of Object.entries(report.files)) {
  if (readFileSync(path.join(root, file), 'utf8') !== f.source) {
    console.error(`mutation-recheck: ${file} changed since the report was written; run npm run mutate again first.`);
    process.exit(1);
  }
  for (const m of f.mutants) {
    const pick = onlyIds
      ? onlyIds.includes(m.id)
      : m.status === 'Survived' && (all || m.testsCompleted === 0) || (all && m.status === 'NoCoverage');
    if (pick) todo.push({ file, f, m });
  }
}
const testFileOf = new Map();
for (const [file, tf] of Object.entries(report.testFiles ?? {})) for (const t of tf.tests) testFileOf.set(t.id, file);
console.log(`mutation-recheck: ${todo.length} mutants of ${set} to plant (${all ? 'every survivor' : onlyIds ? 'the ids given' : 'survivors that ran no test'})`);

// A scratch copy of the working tree, as Stryker's sandbox is.
const scratch = path.join(root, '.scratch', 'mutation-recheck', `${set}-${process.pid}`);
rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });
const listed = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' });
if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
for (const rel of listed.stdout.split('\0').filter(Boolean)) {
  if (!existsSync(path.join(root, rel))) continue; // deleted in the working tree
  mkdirSync(path.dirname(path.join(scratch, rel)), { recursive: true });
  cpSync(path.join(root, rel), path.join(scratch, rel));
}
symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');

const reference = path.resolve(root, '..', 'shared', 'reference');
const env = { ...process.env, NO_COLOR: '1', ...(existsSync(reference) && !process.env.SIGHTLINE_REFERENCE ? { SIGHTLINE_REFERENCE: reference } : {}) };
const esbuild = await import(path.join(root, 'node_modules', 'esbuild', 'lib', 'main.js'));

let planted = null; // [absolute path, original text] while a mutant is in the copy
const restore = () => {
  if (planted) writeFileSync(planted[0], planted[1]);
  planted = null;
};
let running = null; // the vitest process group now running
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (running) try { process.kill(-running, 'SIGKILL'); } catch { /* gone */ }
    restore();
    process.exit(130);
  });
}

// vitest in its own process group, so that a timeout also ends the fork running the test (a mutant that loops
// forever would otherwise keep a core busy after its vitest is gone).
function runTests(files) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join('node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'vitest.mutate.config.ts', ...files], {
      cwd: scratch, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    running = child.pid;
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const killGroup = () => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ } };
    const timer = setTimeout(() => { timedOut = true; killGroup(); }, timeoutS * 1000);
    child.on('close', (status) => {
      clearTimeout(timer);
      killGroup();
      running = null;
      resolve({ status, stdout, stderr, timedOut });
    });
  });
}

const offsetOf = (lines, p) => {
  let o = 0;
  for (let l = 1; l < p.line; l++) o += lines[l - 1].length + 1;
  return o + p.column - 1;
};
const results = [];
const tally = {};
for (const { file, f, m } of todo) {
  const lines = f.source.split('\n');
  const a = offsetOf(lines, m.location.start), b = offsetOf(lines, m.location.end);
  const mutated = f.source.slice(0, a) + m.replacement + f.source.slice(b);
  const files = testsGiven ?? [...new Set((m.coveredBy ?? []).map((id) => testFileOf.get(id)).filter(Boolean))];
  if (files.length === 0) files.push(...Object.keys(report.testFiles ?? {}));
  let verdict = null, failing = [];
  try {
    esbuild.transformSync(mutated, { loader: 'ts' });
  } catch {
    verdict = 'syntax';
  }
  if (!verdict) {
    const abs = path.join(scratch, file);
    planted = [abs, f.source];
    writeFileSync(abs, mutated);
    const res = await runTests(files);
    restore();
    const out = `${res.stdout ?? ''}\n${res.stderr ?? ''}`;
    failing = out.split('\n').filter((l) => /^\s*×\s/.test(l)).map((l) => l.trim().replace(/^×\s*/, '').replace(/\s+\d+ms$/, ''));
    if (res.timedOut) verdict = 'timeout';
    else if (res.status === 0) verdict = 'survives';
    else verdict = failing.length ? 'killed' : 'error';
    if (verdict === 'error') failing = out.split('\n').filter((l) => /Error/.test(l)).slice(0, 3).map((l) => l.trim());
  }
  tally[verdict] = (tally[verdict] ?? 0) + 1;
  const entry = {
    id: m.id, file, line: m.location.start.line, column: m.location.start.column, mutator: m.mutatorName,
    original: f.source.slice(a, b), replacement: m.replacement, stryker: m.status, testsCompleted: m.testsCompleted ?? null,
    verdict, failing: failing.slice(0, 5),
  };
  results.push(entry);
  console.log(`${m.id} ${file}:${entry.line}:${entry.column} ${verdict.toUpperCase()} ${m.mutatorName}: ${entry.original.replace(/\s+/g, ' ').slice(0, 60)} → ${m.replacement.replace(/\s+/g, ' ').slice(0, 60)}${failing.length ? `  [${failing[0].slice(0, 120)}]` : ''}`);
}

rmSync(scratch, { recursive: true, force: true });
if (testsGiven) {
  console.log(`mutation-recheck: ${JSON.stringify(tally)} with ${testsGiven.join(', ')} (not saved)`);
  process.exit(0);
}

// Merge with earlier rechecks of the same report sources (by mutant id), newest verdict first.
const out = path.join(root, setDir, 'recheck.json');
const sources = Object.fromEntries(Object.entries(report.files).map(([file, f]) => [file, sha(f.source)]));
let previous = [];
if (existsSync(out)) {
  const old = JSON.parse(readFileSync(out, 'utf8'));
  if (JSON.stringify(old.sources) === JSON.stringify(sources)) previous = old.results;
}
const byId = new Map(previous.map((r) => [r.id, r]));
for (const r of results) byId.set(r.id, r);
writeFileSync(out, `${JSON.stringify({
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
  timeoutSeconds: timeoutS,
  sources,
  results: [...byId.values()],
}, null, 1)}\n`);
console.log(`mutation-recheck: ${JSON.stringify(tally)} → ${path.relative(root, out)}`);
