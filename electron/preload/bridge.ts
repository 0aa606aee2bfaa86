/**
 * The object the preload exposes as `window.sightline`, built from two IPC primitives so that it can be tested
 * without Electron. It imports only types from common/api: a sandboxed preload must stay small and must not pull
 * zod in.
 */
import type { ErrorBody, ErrorCode, SightlineApi } from '../../common/api/contract.js';
import { IMAGE_SCHEME } from './channels.js';

export type CallEnvelope = { ok: true; result: unknown } | { ok: false; error: ErrorBody };

/** What the bridge needs from ipcRenderer. The listener never sees the IpcRendererEvent (it holds `sender`). */
export interface BridgeIpc {
  invoke(name: string, args: unknown): Promise<unknown>;
  subscribe(listener: (message: unknown) => void): void;
}

/**
 * How a failed call reaches the page. contextBridge copies an Error with its message only (code and details are
 * dropped), so the rejection is a plain object with ApiError's fields; renderer/api.ts turns it back into an
 * ApiError (`new ApiError(e.code, e.message, e.details)`).
 */
export interface BridgedError extends ErrorBody {
  name: 'ApiError';
}

function bridgedError(code: ErrorCode, message: string, details?: unknown): BridgedError {
  return { name: 'ApiError', code, message, ...(details === undefined ? {} : { details }) };
}

function isEnvelope(v: unknown): v is CallEnvelope {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  if (e.ok === true) return 'result' in e;
  if (e.ok !== false || typeof e.error !== 'object' || e.error === null) return false;
  const err = e.error as Record<string, unknown>;
  return typeof err.code === 'string' && typeof err.message === 'string';
}

function imageUrl(host: 'image' | 'thumb', id: number, version?: string): string {
  if (!Number.isSafeInteger(id) || id <= 0) throw new TypeError(`Not an image id: ${String(id)}`);
  return `${IMAGE_SCHEME}://${host}/${id}${version === undefined ? '' : `?v=${encodeURIComponent(version)}`}`;
}

export function createSightlineApi(ipc: BridgeIpc): SightlineApi {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let subscribed = false;

  const dispatchEvent = (message: unknown) => {
    if (typeof message !== 'object' || message === null) return;
    const { event, payload } = message as { event?: unknown; payload?: unknown };
    if (typeof event !== 'string') return;
    for (const listener of [...(listeners.get(event) ?? [])]) {
      // One failing listener must not starve the others of the event.
      try {
        listener(payload);
      } catch (err) {
        console.error(`[sightline] a listener for "${event}" threw:`, err);
      }
    }
  };

  const api = {
    transport: 'electron' as const,
    async call(name: string, args?: unknown) {
      if (typeof name !== 'string') throw bridgedError('bad_request', 'The call name must be a string.');
      let reply: unknown;
      try {
        reply = await ipc.invoke(name, args ?? {});
      } catch (err) {
        // invoke itself fails when the arguments cannot be structured-cloned or the main process is gone.
        throw bridgedError('bad_request', `The call ${name} could not be sent to Sightline: ${(err as Error)?.message ?? String(err)}`);
      }
      if (!isEnvelope(reply)) throw bridgedError('internal', `Sightline sent a malformed reply to ${name}.`);
      if (!reply.ok) throw bridgedError(reply.error.code, reply.error.message, reply.error.details);
      return reply.result;
    },
    on(event: string, listener: (payload: unknown) => void) {
      if (typeof event !== 'string' || typeof listener !== 'function') throw new TypeError('on(event, listener) needs a name and a function');
      if (!subscribed) {
        ipc.subscribe(dispatchEvent);
        subscribed = true;
      }
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
    imageUrl: (id: number, version?: string) => imageUrl('image', id, version),
    thumbUrl: (id: number, version?: string) => imageUrl('thumb', id, version),
  };
  return api as SightlineApi;
}
