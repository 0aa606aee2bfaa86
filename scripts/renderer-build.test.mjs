import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureRendererBuilt } from './renderer-build.mjs';

const REPO = path.resolve(import.meta.dirname, '..');
const temps = [];
afterEach(() => temps.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A checkout-like tree: renderer sources, vite resolvable through node_modules, and optionally an old build. */
function tree({ built = false, sources = true } = {}) {
  const root = mkdtempSync(path.join(tmpdir(), 'sightline-rbuild-'));
  temps.push(root);
  symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  mkdirSync(path.join(root, 'renderer'), { recursive: true });
  mkdirSync(path.join(root, 'common'), { recursive: true });
  if (sources) writeFileSync(path.join(root, 'renderer', 'vite.config.ts'), 'export default {}');
  writeFileSync(path.join(root, 'renderer', 'main.tsx'), '');
  utimesSync(path.join(root, 'renderer', 'main.tsx'), 1000, 1000);
  if (built) {
    mkdirSync(path.join(root, 'renderer', 'dist'));
    writeFileSync(path.join(root, 'renderer', 'dist', 'index.html'), 'old');
  }
  return root;
}

/** Stands in for vite: writes index.html into the --outDir it was given. */
function fakeVite(calls, code = 0) {
  return async (command, args) => {
    calls.push(args);
    const out = args[args.indexOf('--outDir') + 1];
    if (code === 0) {
      mkdirSync(out, { recursive: true });
      writeFileSync(path.join(out, 'index.html'), 'new');
    }
    return code;
  };
}

describe('ensureRendererBuilt (npm start and sightline serve)', () => {
  it('builds a missing renderer into a folder of its own, then puts it in place', async () => {
    const root = tree();
    const calls = [];
    expect(await ensureRendererBuilt(root, { log: () => {}, run: fakeVite(calls) })).toBe('built');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toEqual(expect.arrayContaining(['build', '--config', path.join(root, 'renderer', 'vite.config.ts'), '--emptyOutDir']));
    expect(calls[0][calls[0].indexOf('--outDir') + 1].startsWith(path.join(root, '.cache') + path.sep)).toBe(true);
    expect(readFileSync(path.join(root, 'renderer', 'dist', 'index.html'), 'utf8')).toBe('new');
    // Nothing is left behind in .cache/.
    expect(existsSync(path.join(root, '.cache')) ? readdirSync(path.join(root, '.cache')) : []).toEqual([]);
    // Fresh now: nothing more to do.
    expect(await ensureRendererBuilt(root, { log: () => {}, run: fakeVite(calls) })).toBe('fresh');
    expect(calls).toHaveLength(1);
  });

  it('rebuilds a stale renderer, and keeps the old build when the build fails', async () => {
    const root = tree({ built: true });
    utimesSync(path.join(root, 'renderer', 'dist', 'index.html'), 500, 500); // older than main.tsx
    expect(await ensureRendererBuilt(root, { log: () => {}, run: fakeVite([], 2) })).toEqual({ failed: 2 });
    expect(readFileSync(path.join(root, 'renderer', 'dist', 'index.html'), 'utf8')).toBe('old');
    expect(await ensureRendererBuilt(root, { log: () => {}, run: fakeVite([]) })).toBe('built');
    expect(readFileSync(path.join(root, 'renderer', 'dist', 'index.html'), 'utf8')).toBe('new');
  });

  it('says so when there is nothing to build from', async () => {
    const root = tree({ sources: false });
    const calls = [];
    expect(await ensureRendererBuilt(root, { log: () => {}, run: fakeVite(calls) })).toBe('cannot-build');
    expect(calls).toEqual([]);
  });
});
