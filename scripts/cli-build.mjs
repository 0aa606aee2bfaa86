#!/usr/bin/env node
// The `sightline` command compiled ahead (issue 10): tsx compiling the TypeScript on every launch made `sightline
// --version` take 1.5 s. `npm install`/`npm ci` run this through the `prepare` script; `npm run build:cli` reruns it.
//
// Output: dist-cli/ (ignored by git): cli.js (electron/cli.ts), inference-worker.js and inference-decoder.js (the
// inference threads, which spawn.ts looks for beside the bundle), their shared chunks, and manifest.json, which lists
// every file the bundle was built from with its mtime and size. bin/sightline.mjs runs the bundle only while every
// one of those files is unchanged (compiledCli below) and falls back to tsx otherwise, so an edited .ts file never
// runs stale code. This module is imported by bin/sightline.mjs on every launch: keep its top level to node: built-ins
// (esbuild is imported only when building).
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const CLI_BUILD_DIR = 'dist-cli';
const MANIFEST = 'manifest.json';
const MANIFEST_VERSION = 1;

/** Packages that stay outside the bundle: native code (.node files), Electron, and the optional natives of ws. */
export const EXTERNAL = ['better-sqlite3', 'sharp', 'onnxruntime-node', 'electron', 'bufferutil', 'utf-8-validate'];
/**
 * External packages loaded on first use instead of at startup: sharp alone costs more than a whole `sightline info`
 * (libvips), and the core imports it at the top of modules every command loads (library/files.ts). In the bundle,
 * `import sharp from 'sharp'` gets a stand-in that requires the package the first time it is called or read.
 */
export const LAZY = ['sharp', 'better-sqlite3'];

/**
 * The compiled CLI, when it is there and built from exactly the files now on disk; else why not.
 * @param {string} root the repository root
 * @returns {{ file: string, why: string } | { file: null, why: string }}
 */
export function compiledCli(root) {
  const dir = path.join(root, CLI_BUILD_DIR);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8'));
  } catch {
    return { file: null, why: `${CLI_BUILD_DIR}/${MANIFEST} is missing or unreadable (not built: run \`npm run build:cli\`)` };
  }
  if (manifest?.version !== MANIFEST_VERSION || typeof manifest.inputs !== 'object' || !manifest.inputs) {
    return { file: null, why: `${CLI_BUILD_DIR}/${MANIFEST} is from another version of the build` };
  }
  const stale = staleInput(root, manifest.inputs);
  if (stale) return { file: null, why: `${stale} changed since the CLI was compiled` };
  const file = path.join(dir, manifest.entry);
  if (!existsSync(file)) return { file: null, why: `${CLI_BUILD_DIR}/${manifest.entry} is missing` };
  return { file, why: `compiled ${CLI_BUILD_DIR}/${manifest.entry} is up to date` };
}

/**
 * The first input (a path relative to `root`) whose mtime or size differs from what the build recorded, or that is
 * gone; null when all are as built. Equality, not "newer than": a file put back to an older version changes too.
 * @param {string} root
 * @param {Record<string, [number, number]>} inputs
 */
export function staleInput(root, inputs) {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep; // not path.join: this runs on every launch
  for (const [rel, [mtimeMs, size]] of Object.entries(inputs)) {
    const st = statSync(prefix + rel, { throwIfNoEntry: false });
    if (!st || st.mtimeMs !== mtimeMs || st.size !== size) return rel;
  }
  return null;
}

const LOADERS = { '.ts': 'ts', '.tsx': 'tsx', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx', '.json': 'json' };

/**
 * Builds the CLI into `<root>/dist-cli` (through a temporary folder swapped in at the end, so a running `sightline`
 * never sees half a build).
 * @param {string} root
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<{ dir: string, inputs: number, ms: number }>}
 */
export async function buildCli(root, { log = () => {} } = {}) {
  const started = performance.now();
  const esbuild = await import('esbuild');
  const outDir = path.join(root, CLI_BUILD_DIR);
  const tmpDir = path.join(root, `${CLI_BUILD_DIR}.tmp-${process.pid}`);
  rmSync(tmpDir, { recursive: true, force: true });
  /** Input (relative to root) → [mtimeMs, size], stat'ed before the file is read: an edit during the build shows. */
  const inputs = {};
  const record = (file) => {
    const st = statSync(file);
    inputs[path.relative(root, file).split(path.sep).join('/')] = [st.mtimeMs, st.size];
  };
  const selfFile = fileURLToPath(import.meta.url);
  record(selfFile);
  const sourcesPlugin = {
    name: 'sightline-sources',
    setup(build) {
      // The stand-in for a lazily loaded external (LAZY). A Proxy over a plain function: calls, `new` and property
      // reads all go to the package, which is required on the first of them.
      build.onResolve({ filter: new RegExp(`^(${LAZY.map((p) => p.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')).join('|')})$`) }, (args) =>
        args.namespace === 'lazy-external' ? { path: args.path, external: true } : { path: args.path, namespace: 'lazy-external' },
      );
      build.onLoad({ filter: /.*/, namespace: 'lazy-external' }, (args) => ({
        loader: 'js',
        resolveDir: root,
        contents: `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
let pkg;
const load = () => (pkg ??= require(${JSON.stringify(args.path)}));
export default new Proxy(function lazyExternal() {}, {
  apply: (_t, self, args) => Reflect.apply(load(), self, args),
  construct: (_t, args) => Reflect.construct(load(), args),
  get: (_t, key) => load()[key],
  set: (_t, key, value) => Reflect.set(load(), key, value),
  has: (_t, key) => key in load(),
});
`,
      }));
      // zod's 40 translations of its error messages are half its size and a third of `sightline info`'s start; the
      // CLI uses the English one that zod configures itself with (z.locales is never read: checked below).
      build.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => {
        record(args.path);
        return { contents: `export { default as en } from './en.js';\n`, loader: 'js', resolveDir: path.dirname(args.path) };
      });
      build.onLoad({ filter: /\.(m|c)?(t|j)sx?$|\.json$/ }, (args) => {
        record(args.path);
        let contents = readFileSync(args.path, 'utf8');
        const loader = LOADERS[path.extname(args.path)] ?? 'js';
        if (!args.path.split(path.sep).includes('node_modules')) {
          // Code finds resources (migrations/, demo/, models/, renderer/dist, its packages) relative to its own file:
          // give each module its source file's URL, relative to the bundle so the checkout may move. spawnWorker's
          // argument keeps the bundle's own URL: the inference threads are bundled beside it (inference-*.js).
          const rel = path.relative(outDir, args.path).split(path.sep).join('/');
          contents = contents.replace(/(?<!spawnWorker\(\s*)\bimport\.meta\.url\b/g, `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
          if (/\bz\.locales\b|\bzod\/v4\/locales\b/.test(contents)) {
            throw new Error(`${args.path}: uses zod's locales, which the CLI's bundle leaves out (scripts/cli-build.mjs)`);
          }
          if (/\bimport\.meta\.(dirname|filename)\b/.test(contents)) {
            throw new Error(`${args.path}: import.meta.dirname/filename would point into the bundle; use import.meta.url`);
          }
        }
        return { contents, loader };
      });
    },
  };
  try {
    return await buildInto(esbuild, root, outDir, tmpDir, { inputs, selfFile, sourcesPlugin, started, log });
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

async function buildInto(esbuild, root, outDir, tmpDir, { inputs, selfFile, sourcesPlugin, started, log }) {
  const common = {
    absWorkingDir: root,
    outdir: tmpDir, // one folder: the rewritten import.meta.url above is relative to it
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    // Bundled CommonJS (ws) calls require(); ESM has none of its own.
    banner: { js: `import { createRequire as __sightlineCreateRequire } from 'node:module'; const require = __sightlineCreateRequire(import.meta.url);` },
    plugins: [sourcesPlugin],
    metafile: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    // Less to parse at every start; names are kept, so stack traces still read (and map back with --enable-source-maps).
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
  };
  // The CLI split at its commands' `await import()`s: each chunk is read only by the commands that need it.
  const cli = await esbuild.build({ ...common, entryPoints: { cli: 'electron/cli.ts' }, splitting: true, chunkNames: 'chunk-[hash]' });
  // The inference threads, whole: kept out of the CLI's build so that they do not cut its chunks into more files.
  const workers = await esbuild.build({
    ...common,
    entryPoints: { 'inference-worker': 'electron/core/inference/worker.ts', 'inference-decoder': 'electron/core/inference/decoder-worker.ts' },
  });
  const metafile = { inputs: { ...cli.metafile.inputs, ...workers.metafile.inputs }, outputs: { ...cli.metafile.outputs, ...workers.metafile.outputs } };
  // Every input went through onLoad; the metafile says which ones the bundle really contains.
  const used = Object.fromEntries(
    Object.keys(metafile.inputs)
      .filter((k) => !k.includes(':'))
      .map((k) => path.relative(root, path.resolve(root, k)).split(path.sep).join('/'))
      .map((k) => [k, inputs[k]]),
  );
  const missing = Object.entries(used).filter(([, v]) => !v).map(([k]) => k);
  if (missing.length) throw new Error(`the build read files it did not record: ${missing.join(', ')}`);
  const self = path.relative(root, selfFile).split(path.sep).join('/');
  used[self] = inputs[self];
  writeFileSync(path.join(tmpDir, 'package.json'), '{ "type": "module" }\n'); // ESM, whatever the root's package.json says
  // What each output holds (esbuild's metafile): which chunks a command reads, and why (test/cli-build.test.ts).
  writeFileSync(path.join(tmpDir, 'meta.json'), JSON.stringify(metafile));
  writeFileSync(path.join(tmpDir, MANIFEST), JSON.stringify({ version: MANIFEST_VERSION, entry: 'cli.js', node: process.version, inputs: used }, null, 1) + '\n');
  // Swap in: the old build is moved aside first, so the folder is never missing for more than a rename. Two builds
  // at once (an install and a benchmark, say) are both complete: whichever lands last stays.
  const oldDir = path.join(root, `${CLI_BUILD_DIR}.old-${process.pid}`);
  try {
    renameSync(outDir, oldDir);
  } catch (e) {
    if (e?.code !== 'ENOENT') throw e;
  }
  try {
    renameSync(tmpDir, outDir);
  } catch (e) {
    if (e?.code !== 'ENOTEMPTY' && e?.code !== 'EEXIST') throw e; // another build put its own there meanwhile
  }
  rmSync(oldDir, { recursive: true, force: true });
  const ms = performance.now() - started;
  log(`Sightline: compiled the CLI into ${CLI_BUILD_DIR}/ (${Object.keys(used).length} inputs, ${ms.toFixed(0)} ms)`);
  return { dir: outDir, inputs: Object.keys(used).length, ms };
}

// `node scripts/cli-build.mjs`: from `npm install`/`npm ci` (prepare) or `npm run build:cli`. A failed build must not fail
// the install: the CLI then runs from source through tsx, as it did before, and says nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const strict = process.argv.includes('--strict');
  try {
    await buildCli(root, { log: (m) => console.log(m) });
  } catch (e) {
    console.warn(`Sightline: could not compile the CLI (${e?.message ?? e}); \`sightline\` will run from source through tsx (slower to start).`);
    if (strict) process.exitCode = 1;
  }
}
