/**
 * `sightline` — the command line over the same core services as the app.
 * Machine-readable output (--json) goes to stdout as one JSON document; progress and messages go to stderr.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ImportResult } from '../common/api/contract.js';
import type { AppCore } from './core/app.js';
import type { RunningServer } from './server/http.js';
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from './core/privateFiles.js';
import { clearProgressLine, followJob, progressLine } from './cli-jobs.js';

// Everything else is imported by the commands that need it (issue 10): `sightline info` must not pay for the server,
// the dataset formats, the shapes generator or the inference code. Only node: built-ins and the two small modules
// above load with every command. test/cli-build.test.ts lists what `info` may load.
const contract = () => import('../common/api/contract.js');

const help = async (): Promise<string> => {
  const [{ INFERENCE_HELP }, { DATASETS_HELP }, { EVAL_HELP }] = await Promise.all([import('./cli-inference.js'), import('./cli-datasets.js'), import('./cli-eval.js')]);
  return `sightline — label and inspect images with neural networks

Usage:
  sightline import <folder> --project <file.sightline> [--follow-links] [--json]
      Import a folder of images (recursive) into a project, creating the project if needed. Symbolic links that
      lead out of the folder are not followed (the report lists them) unless --follow-links is given.
      Re-running it rescans: new files are added, removed ones marked missing, moved ones re-linked.
      --json prints {"imported", "skipped", "errors": [{"path", "reason"}], ...}. Ctrl-C cancels and keeps what finished.
  sightline info --project <file.sightline> [--json]
      Counts of images, annotations, classes and model runs.
  sightline serve [--project <file.sightline | folder> | --demo] [--port N] [--open] [--no-build]
      Serve the app on 127.0.0.1 (browser mode). Prints a sign-in URL on the first line: its one-time code (after #)
      signs in the first browser tab that opens it. Scripts authenticate with Authorization: Bearer $SIGHTLINE_TOKEN.
      --open starts Chromium in app mode when a display is available (through a private launch file, so no secret
      is on its command line). The renderer is built first when it is missing or stale, unless --no-build.
  sightline demo
      Create (first time) the bundled demo project and print its path.
  sightline shapes --seed S --count N --out DIR [--size 256] [--min-shapes 1] [--max-shapes 6] [--json]
      Generate the synthetic "shapes" dataset: DIR/images/*.png, DIR/labels/*.png (semantic map) and a COCO-style
      DIR/annotations.json with boxes, instance masks (RLE), colours and every valid caption. Same seed, same bytes.
${INFERENCE_HELP}${DATASETS_HELP}${EVAL_HELP}  sightline --help | --version

Environment:
  SIGHTLINE_HOME   where recent projects, caches and the demo project live (default ~/.sightline; kept 0700)
  SIGHTLINE_TOKEN  serve: the bearer secret scripts send as Authorization: Bearer (16-512 of A-Z a-z 0-9 _ -);
                   random when unset. It is never printed.
`;
};

class UsageError extends Error {}
/** Usage errors of the command modules, known once a command has loaded its module. */
const usageErrors: (abstract new (...args: never[]) => Error)[] = [UsageError];

/** package.json's version; package.json is in the resources folder (defaultResourcesDir), one up from here. */
function version(): string {
  try {
    return (JSON.parse(readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

async function makeCore(transport: 'http' | 'electron' = 'http'): Promise<AppCore> {
  const { AppCore, defaultAppDataDir } = await import('./core/app.js');
  return new AppCore({ appDataDir: defaultAppDataDir(), transport, version: version() });
}

function requireProject(values: { project?: string }): string {
  if (!values.project) throw new UsageError('--project <file.sightline> is required');
  return path.resolve(values.project);
}

async function cmdImport(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { project: { type: 'string' }, json: { type: 'boolean' }, 'follow-links': { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('import takes exactly one folder');
  const file = requireProject(values);
  const folder = path.resolve(positionals[0]);
  const core = await makeCore();
  const { ApiError } = await contract();
  try {
    if (!existsSync(folder)) {
      throw new ApiError('not_found', `Cannot import "${folder}": the folder does not exist. Check the path. Nothing was changed.`, { folder });
    }
    await core.openProject(file, { create: true });
    const job = await followJob(core, core.startImport(folder, { followLinks: values['follow-links'] }));
    if (job.state === 'failed') throw new ApiError('io', job.error ?? 'import failed');
    const r = job.result as ImportResult;
    if (values.json) {
      process.stdout.write(JSON.stringify(r) + '\n');
    } else {
      console.log(`${job.message} → ${file}`);
      for (const e of r.errors) console.log(`  ! ${e.path}: ${e.reason}`);
      for (const n of r.notes ?? []) console.log(`  - ${n.path}: ${n.reason}`);
    }
    return r.cancelled ? 130 : 0;
  } finally {
    await core.close();
  }
}

async function cmdInfo(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { project: { type: 'string' }, json: { type: 'boolean' } } });
  const file = requireProject(values);
  const core = await makeCore();
  try {
    const s = await core.openProject(file);
    if (values.json) {
      process.stdout.write(JSON.stringify(s) + '\n');
    } else {
      console.log(`${s.name} (${s.path}, schema v${s.schemaVersion})`);
      const pending = s.pendingIndex ? `, ${s.pendingIndex} not indexed yet: rescan to finish` : '';
      console.log(`  images ${s.images} (${s.missingImages} missing${pending}), annotations ${s.annotations}, classes ${s.classes}, model runs ${s.runs}`);
      for (const r of s.roots) console.log(`  folder ${r.path}: ${r.images} images${r.available ? '' : ' — NOT FOUND (relink it in the app)'}`);
    }
    return 0;
  } finally {
    await core.close();
  }
}

/** A browser that exits within this long after `--open` did not open its window. */
const BROWSER_FAILS_WITHIN_MS = 5000;

/**
 * Chromium's arguments for the app window. As root (containers, CI boxes) Chromium will not start with its sandbox
 * ("Running as root without --no-sandbox is not supported"), so the sandbox is turned off there.
 */
export function chromiumAppArgs(pageUrl: string, profile: string, root: boolean): string[] {
  return [`--app=${pageUrl}`, `--user-data-dir=${profile}`, '--no-first-run', '--disable-background-networking', '--disable-sync', ...(root ? ['--no-sandbox'] : [])];
}

/** The line of a browser's log that says why it stopped: the last ERROR/FATAL line, else the last non-empty one. */
export function lastErrorLine(log: string): string | null {
  const lines = log.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /\b(ERROR|FATAL)\b/.test(l));
  const line = errors.at(-1) ?? lines.at(-1) ?? null;
  // Chromium prefixes lines with [pid:tid:date:LEVEL:file(line)]; the message is what follows.
  return line === null ? null : line.replace(/^\[[^\]]*\]\s*/, '');
}

function findChromium(): string | null {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    const r = spawnSync('which', [name], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

/**
 * A page for Chromium's --app: it forwards to a launch URL, so the one-time code is read from a private file
 * (0600 in SIGHTLINE_HOME/launch, 0700) instead of sitting on the command line, where any user sees it in
 * /proc/<pid>/cmdline. The file is deleted once its code is spent.
 */
function writeLaunchPage(server: RunningServer, appDataDir: string): string {
  const dir = path.join(appDataDir, 'launch');
  ensurePrivateDirSync(dir);
  const file = path.join(dir, `open-${randomBytes(12).toString('hex')}.html`);
  const url = server.launchUrl({ onUse: () => rmSync(file, { force: true }) });
  const quoted = JSON.stringify(url).replace(/</g, '\\u003c');
  writeFileSync(
    file,
    `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>Sightline</title>\n` +
      `<meta http-equiv="refresh" content="0; url=${url}">\n<script>location.replace(${quoted});</script>\n`,
    { mode: PRIVATE_FILE_MODE, flag: 'wx' },
  );
  return file;
}

async function cmdServe(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      project: { type: 'string' },
      demo: { type: 'boolean' },
      port: { type: 'string' },
      open: { type: 'boolean' },
      'no-build': { type: 'boolean' },
    },
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not "${values.port}"`);
  // Read once and kept out of the environment of anything started from here (the browser, build tools).
  const token = process.env.SIGHTLINE_TOKEN || undefined;
  delete process.env.SIGHTLINE_TOKEN;
  if (token !== undefined && !/^[A-Za-z0-9_-]{16,512}$/.test(token)) throw new UsageError('SIGHTLINE_TOKEN must be 16 to 512 characters of A-Z, a-z, 0-9, _ or -');
  const [{ ApiError }, { defaultAppDataDir, defaultResourcesDir }, { startServer }] = await Promise.all([contract(), import('./core/app.js'), import('./server/http.js')]);
  const resources = defaultResourcesDir();
  if (!values['no-build']) {
    // As `npm start` does: right after `npm install` the renderer is not built yet. Output goes to stderr.
    const { ensureRendererBuilt } = await import('../scripts/renderer-build.mjs');
    const built = await ensureRendererBuilt(resources);
    if (typeof built === 'object') throw new ApiError('internal', `Building the renderer failed (exit ${built.failed}); see the messages above. Run \`npm run build\` to retry.`);
  }
  const core = await makeCore();
  if (values.project) {
    const target = path.resolve(values.project);
    // A folder of images is opened as a project too, as in the app's "Open folder".
    if (existsSync(target) && statSync(target).isDirectory()) await core.openFolder(target);
    else await core.openProject(target);
  }
  else if (values.demo) await core.openDemoProject();
  const staticDir = path.join(core.resourcesDir, 'renderer', 'dist');
  const server = await startServer({ host: core, staticDir: existsSync(staticDir) ? staticDir : undefined, port, token });
  // The URL must be the first line: scripts and tests read it. It carries a one-time code, never the bearer secret.
  console.log(server.url);
  if (!existsSync(staticDir)) console.error(`The renderer is not built (${staticDir} is missing): run \`npm run build\`. The API is served.`);
  if (values.open) {
    const chromium = findChromium();
    if ((process.env.DISPLAY || process.env.WAYLAND_DISPLAY) && chromium) {
      const profile = path.join(defaultAppDataDir(), 'chromium-profile');
      ensurePrivateDirSync(profile);
      const page = writeLaunchPage(server, defaultAppDataDir());
      const root = process.getuid?.() === 0;
      // Chromium's messages go to a file, not a pipe: a pipe closed by us later would kill it on its next write.
      const logFile = path.join(defaultAppDataDir(), 'chromium.log');
      const log = openSync(logFile, 'w', PRIVATE_FILE_MODE);
      const started = Date.now();
      const child = spawn(chromium, chromiumAppArgs(pathToFileURL(page).href, profile, root), { stdio: ['ignore', 'ignore', log], detached: true });
      closeSync(log);
      child.on('exit', (code) => {
        // An app window that closes at once did not open (a window handed to a running Chromium exits 0).
        if (code === 0 || Date.now() - started > BROWSER_FAILS_WITHIN_MS) return;
        const why = lastErrorLine(readFileSync(logFile, 'utf8'));
        console.error(`${chromium} exited at once (code ${code})${why ? `: ${why}` : ''}. Open this URL in a browser instead:\n${server.url}`);
      });
      child.unref();
      console.error(`Opened ${chromium} in app mode${root ? ' (with --no-sandbox: Chromium refuses to run as root with its sandbox)' : ''}.`);
    } else {
      console.error('No display or no Chromium found: open the URL above in a browser on this machine.');
    }
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await core.close();
  return 0;
}

async function cmdDemo(): Promise<number> {
  const core = await makeCore();
  try {
    const s = await core.openDemoProject();
    console.log(s.path);
    return 0;
  } finally {
    await core.close();
  }
}

async function cmdShapes(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      seed: { type: 'string' }, count: { type: 'string' }, out: { type: 'string' }, size: { type: 'string' },
      'min-shapes': { type: 'string' }, 'max-shapes': { type: 'string' }, json: { type: 'boolean' },
    },
  });
  if (values.seed === undefined || values.count === undefined || !values.out) throw new UsageError('shapes needs --seed S --count N --out DIR');
  const int = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a non-negative integer, not "${v}"`);
    return Number(v);
  };
  const { writeShapesDataset } = await import('./core/shapes/write.js');
  const r = await writeShapesDataset({
    seed: int('seed', values.seed)!, count: int('count', values.count)!, out: path.resolve(values.out),
    size: int('size', values.size), minShapes: int('min-shapes', values['min-shapes']), maxShapes: int('max-shapes', values['max-shapes']),
    onProgress: (done, total) => progressLine(done, total, 'scenes'),
  });
  clearProgressLine();
  if (values.json) process.stdout.write(JSON.stringify(r) + '\n');
  else console.log(`${r.images} images, ${r.annotations} shapes → ${r.out}`);
  return 0;
}

let stdoutWatched = false;

/**
 * A reader that stops early (`sightline predict … --json | head`) closes stdout: the next write fails with EPIPE,
 * which would crash the process with an unhandled error. End quietly instead, as Unix tools do (the output was for
 * that reader, and it has what it wanted).
 */
function quietWhenStdoutCloses(): void {
  if (stdoutWatched) return;
  stdoutWatched = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

export async function main(argv: string[]): Promise<number> {
  quietWhenStdoutCloses();
  const [cmd, ...rest] = argv;
  const json = rest.includes('--json');
  try {
    switch (cmd) {
      case 'import':
        return await cmdImport(rest);
      case 'info':
        return await cmdInfo(rest);
      case 'serve':
        return await cmdServe(rest);
      case 'demo':
        return await cmdDemo();
      case 'predict':
      case 'models': {
        const { cmdModels, cmdPredict } = await import('./cli-inference.js');
        return await (cmd === 'predict' ? cmdPredict(rest) : cmdModels(rest));
      }
      case 'shapes':
        return await cmdShapes(rest);
      case 'export':
      case 'import-dataset':
      case 'eval': {
        const [{ cmdExport, cmdImportDataset, DatasetUsageError }, { cmdEval, EvalUsageError }] = await Promise.all([import('./cli-datasets.js'), import('./cli-eval.js')]);
        usageErrors.push(DatasetUsageError, EvalUsageError);
        const core = await makeCore();
        try {
          return await (cmd === 'export' ? cmdExport(core, rest) : cmd === 'eval' ? cmdEval(core, rest) : cmdImportDataset(core, rest));
        } finally {
          await core.close();
        }
      }
      case '--version':
      case '-v':
        console.log(version());
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(await help());
        return 0;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    if (usageErrors.some((U) => e instanceof U) || (e as { code?: string }).code?.startsWith?.('ERR_PARSE_ARGS')) {
      process.stderr.write(`sightline: ${(e as Error).message}\nRun \`sightline --help\` for usage.\n`);
      return 2;
    }
    const { ApiError } = await contract();
    const err = e instanceof ApiError ? e : new ApiError('internal', (e as Error).message ?? String(e));
    if (json) process.stdout.write(JSON.stringify({ error: err.toBody() }) + '\n');
    process.stderr.write(`sightline: ${err.message}\n`);
    if (!(e instanceof ApiError) && process.env.SIGHTLINE_DEBUG) console.error(e);
    return 1;
  }
}
