/**
 * The IPC router: one channel, one handler. Every call passes the sender check, then goes to `core.dispatch` with
 * its raw arguments (the core parses them against common/api). Replies are plain envelopes because Electron would
 * reduce a thrown Error to its message. Electron is only imported as types, so the router is tested under Node.
 */
import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron';
import { ApiError } from '../../common/api/contract.js';
import type { CoreHost } from '../core/host.js';
import type { CallEnvelope } from '../preload/bridge.js';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../preload/channels.js';
import { isAppUrl, senderRefusal, type RendererLocation, type SenderFacts } from './senderCheck.js';

type SenderEvent = Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>;
type Window = Pick<BrowserWindow, 'webContents' | 'isDestroyed'>;

function toEnvelopeError(err: unknown, name: string): CallEnvelope {
  if (err instanceof ApiError) return { ok: false, error: err.toBody() };
  console.error(`[sightline] ${name} failed:`, err);
  return { ok: false, error: { code: 'internal', message: `Sightline hit an unexpected error in ${name}; details are in the log.` } };
}

/**
 * Facts about the sender, read defensively: Electron throws when a disposed frame is touched, and a frame that
 * navigated away or closed must read as untrusted rather than as an internal error.
 */
export function senderFacts(event: SenderEvent, win: Window | null): SenderFacts {
  try {
    const frame = event.senderFrame;
    const fromMainWindow = !!win && !win.isDestroyed() && event.sender === win.webContents;
    return { fromMainWindow, isTopFrame: fromMainWindow && !!frame && frame.parent === null, url: frame?.url };
  } catch {
    return { fromMainWindow: false, isTopFrame: false, url: null };
  }
}

export function createCallHandler(core: Pick<CoreHost, 'dispatch'>, getWindow: () => Window | null, loc: RendererLocation) {
  return async (event: SenderEvent, name: unknown, args: unknown): Promise<CallEnvelope> => {
    const label = typeof name === 'string' ? name.slice(0, 100) : 'a call';
    try {
      const refusal = senderRefusal(senderFacts(event, getWindow()), loc);
      if (refusal) {
        console.warn(`[sightline] ${refusal.message} (${label})`);
        return { ok: false, error: refusal.toBody() };
      }
      // The core answers unknown names with ApiError('unknown_call'); a non-string name cannot even be looked up.
      if (typeof name !== 'string') throw new ApiError('unknown_call', 'The call name must be a string.');
      const result = await core.dispatch(name, args);
      return { ok: true, result: result ?? null };
    } catch (err) {
      return toEnvelopeError(err, label);
    }
  };
}

/** Registers the router and the event forwarding; returns the function that undoes both. */
export function registerIpc(ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>, core: Pick<CoreHost, 'dispatch' | 'onEvent'>, getWindow: () => Window | null, loc: RendererLocation): () => void {
  ipcMain.handle(CALL_CHANNEL, createCallHandler(core, getWindow, loc));
  const unsubscribe = core.onEvent((event, payload) => {
    const win = getWindow();
    if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return;
    // Events carry project data: only our own page gets them.
    if (!isAppUrl(win.webContents.getURL(), loc)) return;
    win.webContents.send(EVENT_CHANNEL, { event, payload });
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(CALL_CHANNEL);
  };
}
