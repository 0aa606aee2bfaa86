/**
 * CLI start-up (issue 10): `sightline --version` and `sightline info --json` on a small project, each a fresh process,
 * against `node -e 0` measured in the same run, interleaved. The compiled CLI (dist-cli/, scripts/cli-build.mjs) is
 * what is measured; it is rebuilt first when a source changed since the last build. `info` run from source through
 * tsx (how every launch ran before) is measured too, fewer times. SIGHTLINE_BENCH_CLI_RUNS sets the run count.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli, compiledCli } from '../scripts/cli-build.mjs';
import { log, round, withWorkDir, type Bench, type Row, positiveIntEnv as positiveInt } from './util.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/sightline.mjs');
const RUNS = positiveInt('SIGHTLINE_BENCH_CLI_RUNS', 21);
/** tsx takes seconds a launch: a few runs say enough. */
const SOURCE_RUNS = Math.max(3, Math.round(RUNS / 4));
const WARMUP = 2;
const GOAL_VERSION = 2;
const GOAL_INFO = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

class StaleBuild extends Error {}

/** Wall time of one fresh process, in ms; throws on failure (StaleBuild when a source changed under the bundle). */
function time(args: string[], env: NodeJS.ProcessEnv, cwd: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status === 2 && /SIGHTLINE_CLI=compiled, but/.test(r.stderr)) throw new StaleBuild(r.stderr.trim());
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (exit ${r.status ?? r.signal}): ${r.stderr}`);
  return ms;
}

export const cliBench: Bench = {
  id: 'cli',
  title: 'CLI start-up (issue 10)',
  labels: {
    'cli.node': '`node -e 0`, the floor',
    'cli.version': '`sightline --version` (ratio to `node -e 0`; goal ≤ 2)',
    'cli.info': '`sightline info --json`, compiled (ratio to `node -e 0`; goal ≤ 3)',
    'cli.info_source': '`sightline info --json` from source through tsx, as before issue 10 (ratio to `node -e 0`)',
  },
  method: [
    'Each row is the median wall time of a fresh process started with `spawnSync(process.execPath, …)` until it exits, output ' +
      'piped; the commands run interleaved (node, --version, info, node, --version, info, …) so that load on a shared machine ' +
      `falls on all of them alike, after ${WARMUP} unmeasured rounds. \`node bin/sightline.mjs\` is the command, as npm's ` +
      '`sightline` shim runs it; SIGHTLINE_CLI=compiled makes it refuse to fall back to tsx. Whenever a file the bundle was ' +
      'built from has changed (a checkout being edited), it is rebuilt (`buildCli`, scripts/cli-build.mjs) before the next ' +
      'sample, and a sample that met the stale build is measured again.',
    '`info --json` reads a project of the 6 photos in demo/photos, imported beforehand; SIGHTLINE_HOME is a fresh folder.',
    `\`info\` from source (SIGHTLINE_CLI=source: tsx compiles the TypeScript at every launch) runs ${SOURCE_RUNS} times, ` +
      'interleaved with the others in the first rounds.',
    `${RUNS} runs each (SIGHTLINE_BENCH_CLI_RUNS). Ratios are to \`node -e 0\`'s median of the same run.`,
  ],
  async run() {
    return withWorkDir('cli', async (dir) => {
      const env: NodeJS.ProcessEnv = { ...process.env, SIGHTLINE_HOME: path.join(dir, 'home'), SIGHTLINE_CLI: 'compiled' };
      delete env.SIGHTLINE_DEBUG;
      const project = path.join(dir, 'small.sightline');
      const commands = {
        node: ['-e', '0'],
        version: [BIN, '--version'],
        info: [BIN, 'info', '--project', project, '--json'],
      };
      let rebuilt = 0;
      const rebuild = async (why: string) => {
        // Someone edited a source (a shared checkout): rebuild, then measure that sample again.
        if (rebuilt >= 20) throw new Error(`the sources keep changing (${why}); rerun when they are still`);
        log(`cli: rebuilding the compiled CLI (${why})`);
        await buildCli(ROOT, { log });
        rebuilt++;
      };
      /** One sample of the compiled CLI, rebuilt first when a source changed since its build. */
      const sample = async (args: string[], sampleEnv = env): Promise<number> => {
        for (;;) {
          const fresh = compiledCli(ROOT);
          if (!fresh.file && sampleEnv.SIGHTLINE_CLI === 'compiled') await rebuild(fresh.why);
          try {
            return time(args, sampleEnv, dir);
          } catch (e) {
            if (!(e instanceof StaleBuild)) throw e;
          }
        }
      };
      await sample([BIN, 'import', path.join(ROOT, 'demo/photos'), '--project', project, '--json']);
      const t: Record<keyof typeof commands | 'source', number[]> = { node: [], version: [], info: [], source: [] };
      for (let i = 0; i < WARMUP + RUNS; i++) {
        for (const [name, args] of Object.entries(commands) as [keyof typeof commands, string[]][]) {
          const ms = await sample(args);
          if (i >= WARMUP) t[name].push(ms);
        }
        if (i >= WARMUP && t.source.length < SOURCE_RUNS) t.source.push(await sample(commands.info, { ...env, SIGHTLINE_CLI: 'source' }));
      }
      const node = median(t.node);
      const row = (name: string, xs: number[], baseline: number | null): Row => ({
        name,
        value: round(median(xs), 1),
        unit: 'ms',
        baseline: baseline === null ? null : round(baseline, 1),
        ratio: baseline === null ? null : round(median(xs) / baseline, 2),
      });
      const rows = [row('cli.node', t.node, null), row('cli.version', t.version, node), row('cli.info', t.info, node), row('cli.info_source', t.source, node)];
      const ratio = (xs: number[]) => round(median(xs) / node, 2);
      const spread = (xs: number[]) => `${round(Math.min(...xs))}–${round(Math.max(...xs))}`;
      return {
        rows,
        facts: [
          `Goals: \`--version\` ${ratio(t.version)}× \`node -e 0\` (goal ≤ ${GOAL_VERSION}×: ${met(ratio(t.version) <= GOAL_VERSION)}); ` +
            `\`info --json\` ${ratio(t.info)}× (goal ≤ ${GOAL_INFO}×: ${met(ratio(t.info) <= GOAL_INFO)}); from source through tsx it is ${ratio(t.source)}×.`,
          `Range (ms, min–max): node ${spread(t.node)}; --version ${spread(t.version)}; info ${spread(t.info)}; info from source ${spread(t.source)}.`,
          `The compiled CLI was ${rebuilt ? `rebuilt ${rebuilt} time(s) during this run (a source had changed; the sample that met the stale build was measured again)` : 'up to date, not rebuilt'}.`,
        ],
      };
    });
  },
};
