#!/usr/bin/env node
// `npm start [project-or-folder] [--port N]`: the desktop app when Electron can run here, else browser mode (the same renderer
// and API served on 127.0.0.1). SIGHTLINE_MODE=browser|electron overrides the choice.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureRendererBuilt, rendererIsStale as isStale } from './renderer-build.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** The Electron executable, or why there is none. */
export function findElectronBinary(req = require, env = process.env) {
  const missing = { path: null, why: 'Electron binary not found (offline install?)' };
  let pkgDir;
  try {
    pkgDir = path.dirname(req.resolve('electron/package.json'));
  } catch {
    return { path: null, why: 'the electron package is not installed' };
  }
  // require('electron') downloads the binary when path.txt or dist/ is missing: `npm start` must never wait on that.
  if (!env.ELECTRON_OVERRIDE_DIST_PATH) {
    const pathFile = path.join(pkgDir, 'path.txt');
    if (!existsSync(pathFile) || !existsSync(path.join(pkgDir, 'dist', readFileSync(pathFile, 'utf8')))) return missing;
  }
  try {
    const bin = req('electron');
    return typeof bin === 'string' && existsSync(bin) ? { path: bin, why: `Electron found at ${bin}` } : missing;
  } catch {
    return missing;
  }
}

/**
 * electron | browser, and why. A forced mode that cannot run is an error rather than a silent fallback.
 * @returns {{ mode: 'electron' | 'browser', why: string } | { mode: null, why: string }}
 */
export function chooseMode({ env, platform, electron }) {
  const forced = env.SIGHTLINE_MODE;
  if (forced !== undefined && forced !== '' && forced !== 'browser' && forced !== 'electron') {
    return { mode: null, why: `SIGHTLINE_MODE must be "browser" or "electron", not "${forced}"` };
  }
  if (forced === 'browser') return { mode: 'browser', why: 'SIGHTLINE_MODE=browser' };
  if (forced === 'electron') {
    return electron.path ? { mode: 'electron', why: 'SIGHTLINE_MODE=electron' } : { mode: null, why: `SIGHTLINE_MODE=electron, but ${electron.why}` };
  }
  if (!electron.path) return { mode: 'browser', why: electron.why };
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return { mode: 'browser', why: 'no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  return { mode: 'electron', why: electron.why };
}

/** The browser build is stale when it is missing or older than any source it is built from (scripts/renderer-build.mjs). */
export function rendererIsStale(root = ROOT) {
  return isStale(root);
}

/**
 * Splits our argv into the project to open (made absolute against the directory `npm start` was run from: npm
 * itself runs scripts from the package root) and the remaining switches.
 */
export function parseStartArgs(argv, cwd) {
  const positionals = [];
  const switches = [];
  let port = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') port = argv[++i] ?? null;
    else if (a.startsWith('--port=')) port = a.slice('--port='.length);
    else if (a.startsWith('-')) switches.push(a);
    else positionals.push(a);
  }
  return { target: positionals.length ? path.resolve(cwd, positionals[0]) : null, switches, port };
}

/** Browser mode: `sightline serve`, which opens Chromium in app mode when there is a display. */
export function serveArgs(target, port = null) {
  return ['serve', ...(target ? ['--project', target] : ['--demo']), ...(port ? ['--port', port] : []), '--open'];
}

let child = null;

/** Runs a command to completion with the terminal attached; resolves to an exit code (128+n for signal n). */
function run(command, args) {
  return new Promise((resolve) => {
    // Own process group on POSIX: a terminal Ctrl+C then reaches only us and is forwarded once. Delivered twice,
    // the second SIGINT would kill the child before it closes its project.
    const proc = spawn(command, args, { cwd: ROOT, stdio: 'inherit', detached: process.platform !== 'win32' });
    child = proc;
    proc.on('error', (err) => {
      console.error(`Sightline: could not run ${command}: ${err.message}`);
      child = null;
      resolve(1);
    });
    proc.on('exit', (code, signal) => {
      child = null;
      resolve(code ?? 128 + (signal ? (osSignals[signal] ?? 1) : 1));
    });
  });
}

const osSignals = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
let stopping = null;

function forwardSignals() {
  for (const signal of Object.keys(osSignals)) {
    process.on(signal, () => {
      stopping = signal;
      if (child?.pid && child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }
  process.on('exit', () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
}

async function main() {
  forwardSignals();
  const { target, switches, port } = parseStartArgs(process.argv.slice(2), process.env.INIT_CWD || process.cwd());
  const electron = findElectronBinary();
  const choice = chooseMode({ env: process.env, platform: process.platform, electron });
  if (!choice.mode) {
    console.error(`Sightline: ${choice.why}.`);
    return 2;
  }
  if (choice.mode === 'electron') {
    console.log(`Sightline: ${choice.why} — starting the desktop app`);
    const build = await run(process.execPath, [path.join(path.dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js'), 'build']);
    if (build !== 0 || stopping) return build || 130;
    return run(electron.path, ['.', ...switches, ...(target ? [target] : [])]);
  }
  console.log(`Sightline: ${choice.why} — starting browser mode`);
  // `sightline serve` would build it too; building here keeps the build's output on the terminal, attached.
  const built = await ensureRendererBuilt(ROOT, { log: (m) => console.log(m), run });
  if (typeof built === 'object' || stopping) return typeof built === 'object' ? built.failed : 130;
  if (built === 'cannot-build') console.warn('Sightline: renderer/dist is missing or stale and cannot be built here (no sources or no vite).');
  if (switches.length) console.warn(`Sightline: browser mode ignores ${switches.join(' ')} (only --port is passed on).`);
  return run(process.execPath, [path.join(ROOT, 'bin', 'sightline.mjs'), ...serveArgs(target, port)]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error('Sightline: start failed:', err);
      process.exit(1);
    },
  );
}
