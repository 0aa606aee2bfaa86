/**
 * The built Electron main process (electron-vite output), run under Node against a recording fake of `electron`:
 * the one check of index.ts, menu.ts and the wiring between the window, the router, the image scheme and the real
 * core, since the Electron binary cannot run here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { becomeReady, electronModule, state } from './testing/fakeElectron.js';

vi.mock('electron', async () => (await import('./testing/fakeElectron.js')).electronModule);

const repo = path.resolve(import.meta.dirname, '../..');
const work = path.join(repo, '.tmp', `shell-smoke-${process.pid}`);
const out = path.join(work, 'out');
const images = path.join(work, 'images');
const savedArgv = process.argv;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const win = () => state.windows[0];
const appUrl = () => win().webContents.getURL();
const trustedEvent = () => ({ sender: win().webContents, senderFrame: win().webContents.mainFrame });
const call = (name: string, args: unknown = {}, event: unknown = trustedEvent()) => state.ipcHandlers.get('sightline:call')!(event, name, args) as Promise<any>;

beforeAll(async () => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(images, { recursive: true });
  await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } }).png().toFile(path.join(images, 'a.png'));
  await sharp({ create: { width: 20, height: 30, channels: 3, background: '#993366' } }).jpeg().toFile(path.join(images, 'b.jpg'));

  const electronVite = path.join(path.dirname(createRequire(import.meta.url).resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  const build = spawnSync(process.execPath, [electronVite, 'build', '--outDir', out, '--logLevel', 'warn'], { cwd: repo, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`electron-vite build failed:\n${build.stdout}\n${build.stderr}`);

  state.userData = path.join(work, 'userData');
  state.appPath = repo;
  // As `electron . <folder>` would start it.
  process.argv = [process.execPath, '.', images];
  Object.assign(process, { defaultApp: true });
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  await import(/* @vite-ignore */ pathToFileURL(path.join(out, 'main', 'index.js')).href);
  becomeReady();
  await until('the folder to be imported', async () => {
    if (!state.ipcHandlers.has('sightline:call') || !win()) return undefined;
    const jobs = await call('jobs.list');
    return jobs.ok && jobs.result.length > 0 && jobs.result.every((j: { state: string }) => j.state !== 'running') ? jobs : undefined;
  });
}, 120_000);

afterAll(() => {
  process.argv = savedArgv;
  rmSync(work, { recursive: true, force: true });
});

describe('the built Electron shell', () => {
  it('registers the app and image schemes before ready, enables the sandbox and bundles a CJS preload', () => {
    expect(state.sandboxEnabled).toBe(true);
    expect(state.privileged).toEqual([
      {
        schemes: [
          { scheme: 'sightline-app', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
          { scheme: 'sightline-image', privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, corsEnabled: true } },
        ],
        beforeReady: true,
      },
    ]);
    const preload = win().options.webPreferences.preload;
    expect(preload).toBe(path.join(out, 'preload', 'index.cjs'));
    expect(existsSync(preload)).toBe(true);
  });

  it('has a preload that requires nothing but electron and exposes only window.sightline', async () => {
    const exposed: Record<string, any> = {};
    const ipcRenderer = { invoke: vi.fn(async () => ({ ok: true, result: 42 })), on: vi.fn() };
    // A sandboxed preload gets a require() that knows 'electron' and little else, and no Node globals.
    const sandboxRequire = (id: string) => {
      if (id !== 'electron') throw new Error(`a sandboxed preload cannot require ${id}`);
      return { contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) }, ipcRenderer };
    };
    vm.runInNewContext(readFileSync(path.join(out, 'preload', 'index.cjs'), 'utf8'), { require: sandboxRequire, console, module: { exports: {} }, exports: {} });
    expect(Object.keys(exposed)).toEqual(['sightline']);
    expect(await exposed.sightline.call('app.info')).toBe(42);
    expect(ipcRenderer.invoke).toHaveBeenCalledWith('sightline:call', 'app.info', {});
    expect(exposed.sightline.thumbUrl(3)).toBe('sightline-image://thumb/3');
  });

  it('opens one locked-down window on the built renderer, from the app scheme rather than file://', async () => {
    expect(state.windows).toHaveLength(1);
    expect(win().options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(win().loaded).toBe('sightline-app://app/index.html');
    const handler = state.protocolHandlers.get('sightline-app')!;
    const page = await handler(new Request('sightline-app://app/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self';/);
    expect(await page.text()).toBe(readFileSync(path.join(out, 'renderer', 'index.html'), 'utf8'));
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(readFileSync(path.join(out, 'renderer', 'index.html'), 'utf8'))![1];
    const js = await handler(new Request(`sightline-app://app/${script}`));
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // Only the renderer's own files: not the main process bundle beside it, not another host, not a write.
    for (const url of ['sightline-app://app/../main/index.js', 'sightline-app://app/%2e%2e/main/index.js', 'sightline-app://app/..%2Fmain%2Findex.js', 'sightline-app://other/index.html', 'sightline-app://app/missing.js']) {
      expect((await handler(new Request(url))).status, url).toBe(404);
    }
    expect((await handler(new Request('sightline-app://app/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
  });

  it('opened the folder named on the command line and serves the API to its own page', async () => {
    const info = await call('app.info');
    expect(info).toMatchObject({ ok: true, result: { transport: 'electron', version: '0.0.0-test', project: { images: 2 } } });
    expect(state.messageBoxes).toEqual([]);
    // The renderer heard about it through the event channel.
    expect(win().webContents.sent.some(([ch, m]: [string, any]) => ch === 'sightline:event' && m.event === 'project' && m.payload.reason === 'opened')).toBe(true);
  });

  it('refuses callers that are not the app page', async () => {
    const foreign = { sender: win().webContents, senderFrame: { parent: null, url: 'https://evil.example/' } };
    const iframe = { sender: win().webContents, senderFrame: { parent: win().webContents.mainFrame, url: appUrl() } };
    for (const event of [foreign, iframe, { sender: {}, senderFrame: win().webContents.mainFrame }]) {
      expect(await call('app.info', {}, event)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(await call('images.list', { limit: -1 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('serves images by id over sightline-image://', async () => {
    const list = await call('images.list', {});
    const id = list.result.items.find((i: { relPath: string }) => i.relPath === 'a.png').id;
    const handler = state.protocolHandlers.get('sightline-image')!;
    const res = await handler(new Request(`sightline-image://image/${id}`));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).width).toBe(64);
    const thumb = await handler(new Request(`sightline-image://thumb/${id}`));
    expect(thumb.status).toBe(200);
    expect((await handler(new Request('sightline-image://image/999999'))).status).toBe(404);
    expect((await handler(new Request('sightline-image://image/../etc/passwd'))).status).toBe(400);
  });

  it('keeps the page in the app: navigation, new windows, permissions, CSP, remote requests', () => {
    const contents = win().webContents;
    const nav = { url: 'https://example.com/docs', isMainFrame: true, preventDefault: vi.fn() };
    contents.emit('will-frame-navigate', nav);
    expect(nav.preventDefault).toHaveBeenCalled();
    const inApp = { url: appUrl() + '#/library', isMainFrame: true, preventDefault: vi.fn() };
    contents.emit('will-frame-navigate', inApp);
    expect(inApp.preventDefault).not.toHaveBeenCalled();
    expect(contents.openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(contents.openHandler!({ url: 'https://example.com/help' })).toEqual({ action: 'deny' });
    expect(state.external).toEqual(['https://example.com/docs', 'https://example.com/help']);

    const granted = vi.fn();
    state.permissionRequest!(contents, 'media', granted, {});
    expect(granted).toHaveBeenCalledWith(false);
    expect(state.permissionCheck!(contents, 'clipboard-read')).toBe(false);

    const headers = vi.fn();
    state.headersReceived!({ responseHeaders: { 'content-security-policy': ['default-src *'], 'X-Other': ['1'] } }, headers);
    const sent = headers.mock.calls[0][0].responseHeaders;
    expect(sent['X-Other']).toEqual(['1']);
    expect(sent['content-security-policy']).toBeUndefined();
    expect(sent['Content-Security-Policy'][0]).toMatch(/^default-src 'self'; script-src 'self';/);

    const remote = vi.fn();
    state.beforeRequest!({ url: 'https://tracker.example/x.js' }, remote);
    expect(remote).toHaveBeenCalledWith({ cancel: true });
  });

  it('builds the menu with the folder among the recent projects and the dev-only items in dev', () => {
    const labels = (items: any[]): string[] => items.flatMap((i) => [i.label ?? i.role, ...(Array.isArray(i.submenu) ? labels(i.submenu) : [])]);
    const all = labels(state.menu!);
    for (const l of ['File', 'Open Folder…', 'Open Project…', 'Recent Projects', 'Open Demo Project', 'quit', 'Edit', 'undo', 'View', 'toggleDevTools', 'zoomIn', 'About Sightline']) expect(all).toContain(l);
    const file = state.menu!.find((m) => m.label === 'File');
    const recent = file.submenu.find((m: any) => m.label === 'Recent Projects').submenu;
    expect(recent[0].label).toMatch(/^images\S* — .*\.sightline$/);
  });

  it('closes the core before quitting', async () => {
    const quitEvent = { preventDefault: vi.fn() };
    electronModule.app.emit('will-quit', quitEvent);
    expect(quitEvent.preventDefault).toHaveBeenCalled();
    await until('app.quit after closing the core', () => (state.quitCalls > 0 ? true : undefined));
    expect(await call('app.info')).toMatchObject({ ok: true, result: { project: null } });
  });
});
