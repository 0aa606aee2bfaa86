import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseMode, findElectronBinary, parseStartArgs, rendererIsStale, serveArgs } from './start.mjs';

const temps = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sightline-start-'));
  temps.push(d);
  return d;
};
afterEach(() => temps.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A fake electron package: require.resolve finds it, require() returns what electron's index.js would. */
function fakeElectron({ pathTxt, binary }) {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'package.json'), '{}');
  if (pathTxt !== undefined) writeFileSync(path.join(dir, 'path.txt'), pathTxt);
  if (binary) {
    mkdirSync(path.join(dir, 'dist'), { recursive: true });
    writeFileSync(path.join(dir, 'dist', binary), '');
  }
  let required = 0;
  const req = (id) => {
    required++;
    return path.join(dir, 'dist', pathTxt);
  };
  req.resolve = (id) => path.join(dir, id.replace(/^electron\//, ''));
  return { req, requiredCount: () => required };
}

describe('findElectronBinary', () => {
  it('finds the binary named by path.txt', () => {
    const { req } = fakeElectron({ pathTxt: 'electron', binary: 'electron' });
    expect(findElectronBinary(req, {}).path).toMatch(/dist\/electron$/);
  });

  it('never calls require(electron), which would download, when path.txt or the binary is missing', () => {
    for (const setup of [{}, { pathTxt: 'electron' }]) {
      const { req, requiredCount } = fakeElectron(setup);
      expect(findElectronBinary(req, {})).toEqual({ path: null, why: 'Electron binary not found (offline install?)' });
      expect(requiredCount()).toBe(0);
    }
  });

  it('reports a missing package', () => {
    const req = () => { throw new Error('nope'); };
    req.resolve = () => { throw new Error('Cannot find module'); };
    expect(findElectronBinary(req, {}).why).toBe('the electron package is not installed');
  });
});

describe('chooseMode', () => {
  const found = { path: '/x/electron', why: 'Electron found at /x/electron' };
  const none = { path: null, why: 'Electron binary not found (offline install?)' };

  it('uses Electron when it exists and there is a display', () => {
    expect(chooseMode({ env: { DISPLAY: ':0' }, platform: 'linux', electron: found }).mode).toBe('electron');
    expect(chooseMode({ env: {}, platform: 'darwin', electron: found }).mode).toBe('electron');
  });

  it('falls back to browser mode with the reason', () => {
    expect(chooseMode({ env: {}, platform: 'linux', electron: none })).toEqual({ mode: 'browser', why: none.why });
    expect(chooseMode({ env: {}, platform: 'linux', electron: found }).why).toMatch(/no display/);
  });

  it('obeys SIGHTLINE_MODE, and refuses a forced mode that cannot run', () => {
    expect(chooseMode({ env: { SIGHTLINE_MODE: 'browser', DISPLAY: ':0' }, platform: 'linux', electron: found }).mode).toBe('browser');
    expect(chooseMode({ env: { SIGHTLINE_MODE: 'electron' }, platform: 'linux', electron: found }).mode).toBe('electron');
    expect(chooseMode({ env: { SIGHTLINE_MODE: 'electron' }, platform: 'linux', electron: none }).mode).toBeNull();
    expect(chooseMode({ env: { SIGHTLINE_MODE: 'desktop' }, platform: 'linux', electron: found }).mode).toBeNull();
  });
});

describe('rendererIsStale', () => {
  function tree() {
    const root = tempDir();
    for (const d of ['renderer/dist', 'renderer/features', 'common/api']) mkdirSync(path.join(root, d), { recursive: true });
    const files = { built: 'renderer/dist/index.html', src: 'renderer/features/a.tsx', common: 'common/api/contract.ts', asset: 'renderer/dist/assets.js' };
    for (const f of Object.values(files)) writeFileSync(path.join(root, f), '');
    const touch = (f, t) => utimesSync(path.join(root, files[f]), t, t);
    touch('src', 1000);
    touch('common', 1000);
    touch('asset', 5000);
    touch('built', 2000);
    return { root, touch };
  }

  it('is fresh when the build is newer than every source (its own outputs do not count)', () => {
    expect(rendererIsStale(tree().root)).toBe(false);
  });

  it('is stale when a renderer or common source is newer, or the build is missing', () => {
    const a = tree();
    a.touch('src', 3000);
    expect(rendererIsStale(a.root)).toBe(true);
    const b = tree();
    b.touch('common', 3000);
    expect(rendererIsStale(b.root)).toBe(true);
    const c = tree();
    rmSync(path.join(c.root, 'renderer/dist/index.html'));
    expect(rendererIsStale(c.root)).toBe(true);
  });
});

describe('arguments', () => {
  it('resolves the project against the directory npm start ran from, and reads --port', () => {
    expect(parseStartArgs(['photos', '--inspect', '--port', '8080'], '/home/me')).toEqual({ target: '/home/me/photos', switches: ['--inspect'], port: '8080' });
    expect(parseStartArgs(['--port=9000'], '/')).toEqual({ target: null, switches: [], port: '9000' });
  });

  it('serves the named project, else the demo, and opens a window', () => {
    expect(serveArgs('/p/a.sightline')).toEqual(['serve', '--project', '/p/a.sightline', '--open']);
    expect(serveArgs(null, '8080')).toEqual(['serve', '--demo', '--port', '8080', '--open']);
  });
});
