import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../common/api/contract.js';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../preload/channels.js';
import { createCallHandler, registerIpc } from './ipc.js';
import type { RendererLocation } from './senderCheck.js';

const loc: RendererLocation = { kind: 'app' };
const APP_URL = 'sightline-app://app/index.html';

function fakeWindow(url = APP_URL) {
  const mainFrame = { parent: null, url };
  const webContents = { mainFrame, isDestroyed: () => false, getURL: () => mainFrame.url, send: vi.fn() };
  return { webContents, isDestroyed: () => false, mainFrame };
}

type Win = ReturnType<typeof fakeWindow>;
const event = (win: Win, frame: object | null = win.mainFrame) => ({ sender: win.webContents, senderFrame: frame }) as never;
const handler = (core: { dispatch: (n: string, a: unknown) => Promise<unknown> }, win: Win | null) =>
  createCallHandler(core, () => win as never, loc);

describe('the call handler', () => {
  it('passes name and raw args to the core and wraps the result', async () => {
    const win = fakeWindow();
    const dispatch = vi.fn(async () => ({ total: 0 }));
    expect(await handler({ dispatch }, win)(event(win), 'images.list', { limit: 5 })).toEqual({ ok: true, result: { total: 0 } });
    expect(dispatch).toHaveBeenCalledWith('images.list', { limit: 5 });
  });

  it('turns undefined results into null (IPC would drop the key)', async () => {
    const win = fakeWindow();
    expect(await handler({ dispatch: async () => undefined }, win)(event(win), 'x', {})).toEqual({ ok: true, result: null });
  });

  it('refuses foreign senders with forbidden and never reaches the core', async () => {
    const win = fakeWindow();
    const other = fakeWindow();
    const dispatch = vi.fn();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const cases = [
      handler({ dispatch }, win)(event(other), 'app.info', {}), // another window
      handler({ dispatch }, win)(event(win, { parent: win.mainFrame, url: APP_URL }), 'app.info', {}), // an iframe
      handler({ dispatch }, win)(event(win, null), 'app.info', {}), // a frame that is gone
      handler({ dispatch }, fakeWindow('https://evil.example/'))(event(fakeWindow('https://evil.example/')), 'app.info', {}),
      handler({ dispatch }, null)(event(win), 'app.info', {}), // no main window
      // Electron throws when a disposed frame is read.
      handler({ dispatch }, win)(event(win, { parent: null, get url(): string { throw new Error('Render frame was disposed'); } }), 'app.info', {}),
    ];
    for (const reply of await Promise.all(cases)) {
      expect(reply).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(dispatch).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('sends ApiErrors as their body and hides unexpected errors', async () => {
    const win = fakeWindow();
    const bad = new ApiError('bad_request', 'Invalid arguments for images.get: id: expected number', { issues: [] });
    expect(await handler({ dispatch: async () => { throw bad; } }, win)(event(win), 'images.get', {})).toEqual({ ok: false, error: bad.toBody() });
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const reply = await handler({ dispatch: async () => { throw new Error('SQLITE_CORRUPT at /home/me/secret'); } }, win)(event(win), 'images.get', {});
    expect(reply).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(reply)).not.toContain('secret');
    expect(reply).toEqual(structuredClone(reply));
    spy.mockRestore();
  });

  it('refuses a non-string call name', async () => {
    const win = fakeWindow();
    const dispatch = vi.fn();
    expect(await handler({ dispatch }, win)(event(win), { toString: () => 'app.info' }, {})).toMatchObject({ ok: false, error: { code: 'unknown_call' } });
    expect(dispatch).not.toHaveBeenCalled();
  });
});

describe('registerIpc', () => {
  it('handles one channel, forwards events to our page only, and undoes both', () => {
    const win = fakeWindow();
    const handlers = new Map<string, unknown>();
    const ipcMain = { handle: vi.fn((c: string, h: unknown) => handlers.set(c, h)), removeHandler: vi.fn((c: string) => handlers.delete(c)) };
    let listener: ((e: string, p: unknown) => void) | null = null;
    const core = { dispatch: vi.fn(), onEvent: vi.fn((l) => { listener = l; return () => { listener = null; }; }) };
    const dispose = registerIpc(ipcMain, core, () => win as never, loc);
    expect([...handlers.keys()]).toEqual([CALL_CHANNEL]);

    listener!('job', { id: 'j1' });
    expect(win.webContents.send).toHaveBeenCalledWith(EVENT_CHANNEL, { event: 'job', payload: { id: 'j1' } });
    win.mainFrame.url = 'https://evil.example/';
    listener!('job', { id: 'j2' });
    expect(win.webContents.send).toHaveBeenCalledTimes(1);

    dispose();
    expect(handlers.size).toBe(0);
    expect(listener).toBeNull();
  });
});
