#!/usr/bin/env node
/**
 * `npm run mutate [-- FOLDER ... ] [-- STRYKER FLAGS]`: mutation testing with Stryker over `common/` and
 * `electron/core/` (stryker.config.json), or only over the folders given, e.g. `npm run mutate -- common/geometry`.
 * Runs are incremental: each folder set keeps its own incremental file, report and config under
 * reports/mutation/<set>/ (gitignored), so rerunning a folder on a working tree only tests mutants in changed code
 * or whose tests changed. `--full` (Stryker's --force) retests every mutant. Other flags pass through
 * (`--concurrency 2`, `--logLevel debug`). Not part of `npm test`: a full run takes hours on two cores.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const base = JSON.parse(readFileSync(path.join(root, 'stryker.config.json'), 'utf8'));
const EXCLUDE = base.mutate.filter((g) => g.startsWith('!'));

const folders = [];
const passThrough = [];
let full = false;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--full') full = true;
  else if (a.startsWith('-')) {
    passThrough.push(a);
    // A flag's value travels with it (`--concurrency 2`).
    if (!a.includes('=') && argv[i + 1] !== undefined && !argv[i + 1].startsWith('-') && !isFolder(argv[i + 1])) passThrough.push(argv[++i]);
  } else if (isFolder(a)) folders.push(a.replace(/\\/g, '/').replace(/\/+$/, ''));
  else {
    console.error(`mutate: "${a}" is not a folder or .ts file of this repository (e.g. common/geometry).`);
    process.exit(2);
  }
}

function isFolder(a) {
  const p = path.resolve(root, a);
  return existsSync(p) && (statSync(p).isDirectory() || p.endsWith('.ts'));
}

const set = folders.length === 0 ? 'all' : folders.map((f) => f.replace(/\.ts$/, '').replace(/[/\\]/g, '-')).join('+');
const outDir = path.join('reports', 'mutation', set);
mkdirSync(path.join(root, outDir), { recursive: true });
const config = {
  ...base,
  mutate: folders.length === 0 ? base.mutate : [...folders.map((f) => (f.endsWith('.ts') ? f : `${f}/**/*.ts`)), ...EXCLUDE],
  incrementalFile: `${outDir}/incremental.json`,
  htmlReporter: { fileName: `${outDir}/mutation.html` },
  jsonReporter: { fileName: `${outDir}/mutation.json` },
};
// Stryker resolves every path in it from the working directory, not from the config's folder.
const configFile = path.join(outDir, 'stryker.config.json');
writeFileSync(path.join(root, configFile), `${JSON.stringify(config, null, 2)}\n`);

const args = ['stryker', 'run', configFile, ...(full ? ['--force'] : []), ...passThrough];
console.log(`mutate: ${config.mutate.filter((g) => !g.startsWith('!')).join(', ')} → ${outDir}/`);
console.log(`mutate: npx ${args.join(' ')}`);
// Tests beside the code read the reference implementations' numbers from ../shared/reference; Stryker runs them from a
// sandbox copy (.stryker-tmp/sandbox-*/), where that relative path leads nowhere and the reference cases would skip.
const reference = path.resolve(root, '..', 'shared', 'reference');
const env = existsSync(reference) && !process.env.SIGHTLINE_REFERENCE ? { ...process.env, SIGHTLINE_REFERENCE: reference } : process.env;
const r = spawnSync('npx', args, { cwd: root, stdio: 'inherit', env });
process.exit(r.status ?? 1);
