#!/usr/bin/env node
// The `sightline` command. It runs the CLI compiled ahead into dist-cli/ (scripts/cli-build.mjs, run by `npm install`)
// while that build matches the sources on disk, and the TypeScript through tsx otherwise, so an edited .ts file never
// runs stale code. SIGHTLINE_CLI=source forces tsx; SIGHTLINE_CLI=compiled refuses to fall back (tests, benchmarks).
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

// libuv runs file reads, stats and sharp's work on a pool of 4 threads by default, made when first used. An import's
// background reads (issue 12) then queued the server's own file reads behind them: the renderer's 450 KB script took
// 0.4–0.8 s to arrive on a 10,000-photo import. Most of a pool thread's time is waiting on the disk, so more of them
// cost little.
process.env.UV_THREADPOOL_SIZE ??= '16';
const argv = process.argv.slice(2);
const root = fileURLToPath(new URL('..', import.meta.url));

// --version needs no code at all: it is package.json's version.
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  let version = '0.0.0';
  try {
    version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
  } catch {
    /* as electron/cli.ts does without a package.json */
  }
  console.log(version);
} else {
  const mode = process.env.SIGHTLINE_CLI ?? '';
  let entry = null;
  let why = 'SIGHTLINE_CLI=source';
  if (mode !== 'source') {
    const { compiledCli } = await import('../scripts/cli-build.mjs');
    const compiled = compiledCli(root);
    ({ why } = compiled);
    if (compiled.file) entry = compiled.file;
    else if (mode === 'compiled') {
      console.error(`sightline: SIGHTLINE_CLI=compiled, but ${why}.`);
      process.exit(2);
    }
  }
  if (process.env.SIGHTLINE_DEBUG) console.error(`sightline: ${entry ? 'running the compiled CLI' : 'running from source through tsx'} (${why})`);
  if (!entry) {
    const { register } = await import('tsx/esm/api');
    register();
    entry = new URL('../electron/cli.ts', import.meta.url).href;
  } else {
    entry = pathToFileURL(entry).href;
  }
  const { main } = await import(entry);
  process.exitCode = await main(argv);
}
