// The browser build of the renderer (renderer/dist), made when it is missing or older than its sources. Shared by
// `npm start` (scripts/start.mjs) and `sightline serve` (electron/cli.ts), so every way into browser mode works right
// after `npm install`.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function newestMtime(dir, skip) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (skip.has(full) || entry.name === 'node_modules') continue;
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full, skip));
    else if (entry.isFile()) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** The browser build is stale when it is missing or older than any source it is built from. */
export function rendererIsStale(root) {
  const built = path.join(root, 'renderer', 'dist', 'index.html');
  if (!existsSync(built)) return true;
  const skip = new Set([path.join(root, 'renderer', 'dist')]);
  const newest = Math.max(newestMtime(path.join(root, 'renderer'), skip), newestMtime(path.join(root, 'common'), skip));
  return newest > statSync(built).mtimeMs;
}

/** The sources and the bundler are here (a checkout after `npm install`), so the renderer can be built. */
export function canBuildRenderer(root) {
  if (!existsSync(path.join(root, 'renderer', 'vite.config.ts'))) return false;
  try {
    require.resolve('vite/package.json', { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

/** The command that builds the renderer into `outDir`: [node, vite.js, build, …]. */
export function viteBuildCommand(root, outDir) {
  const viteBin = path.join(path.dirname(require.resolve('vite/package.json', { paths: [root] })), 'bin', 'vite.js');
  return [process.execPath, [viteBin, 'build', '--config', path.join(root, 'renderer', 'vite.config.ts'), '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn']];
}

function spawnBuild(command, args, root, stdio) {
  return new Promise((resolve) => {
    const proc = spawn(command, args, { cwd: root, stdio });
    proc.on('error', (err) => {
      console.error(`Sightline: could not run the renderer build: ${err.message}`);
      resolve(1);
    });
    proc.on('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1)));
  });
}

/**
 * Builds renderer/dist when it is missing or stale. The build goes to a folder of its own under .cache/ and then
 * replaces renderer/dist in one rename, so a server already serving the old build never sees a half-written one.
 * `run(command, args)` runs the build (resolving to an exit code); by default its output goes to stderr, since a
 * caller's stdout may be read by scripts (`sightline serve` prints its URL on the first line).
 * @returns {Promise<'fresh' | 'built' | 'cannot-build' | { failed: number }>}
 */
export async function ensureRendererBuilt(root, { log = (m) => console.error(m), run } = {}) {
  if (!rendererIsStale(root)) return 'fresh';
  if (!canBuildRenderer(root)) return 'cannot-build';
  const dist = path.join(root, 'renderer', 'dist');
  log(`Sightline: building the renderer (${existsSync(dist) ? 'renderer/dist is older than its sources' : 'renderer/dist is missing'})…`);
  const work = path.join(root, '.cache', `renderer-build-${process.pid}-${Date.now()}`);
  const fresh = path.join(work, 'dist');
  const [command, args] = viteBuildCommand(root, fresh);
  const code = await (run ? run(command, args) : spawnBuild(command, args, root, ['ignore', process.stderr, process.stderr]));
  if (code !== 0 || !existsSync(path.join(fresh, 'index.html'))) {
    rmSync(work, { recursive: true, force: true });
    return { failed: code || 1 };
  }
  const old = path.join(work, 'old');
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(fresh, dist);
  rmSync(work, { recursive: true, force: true });
  return 'built';
}
