/**
 * Starting the inference threads. Under tsx (CLI, tests, dev server) a worker is its .ts file, loaded through
 * tsx's ESM hooks registered inside the worker (a worker does not inherit its parent's hooks, and `--import tsx`
 * in execArgv resolves "tsx" from the cwd). A bundled build (electron-vite) emits each worker as its own entry
 * beside the main bundle (electron.vite.config.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * `tsEntry` relative to `here` (the caller's import.meta.url) under tsx. In a build, `bundled` is an entry beside
 * the main bundle, while the caller's code may sit one folder down in a shared chunk (out/main/chunks/).
 */
export function spawnWorker(here: string, tsEntry: string, bundled: string): Worker {
  if (!here.endsWith('.ts')) {
    // A path, not new URL(…, import.meta.url): Vite would take that for an asset to bundle.
    const dir = path.dirname(fileURLToPath(here));
    const file = [path.join(dir, bundled), path.join(dir, '..', bundled)].find((f) => existsSync(f));
    if (!file) throw new Error(`${bundled} is missing beside the app's bundle (${dir}): the build is incomplete`);
    return new Worker(file);
  }
  // tsx/esm/api's ESM build (its CJS build cannot register ESM hooks), found through tsx's own exports map.
  const pkgFile = createRequire(here).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const api = pathToFileURL(path.join(path.dirname(pkgFile), pkg.exports['./esm/api'].import.default)).href;
  const entry = new URL(tsEntry, here).href;
  const boot = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true });
}
