/**
 * The renderer's one way to talk to the core. In Electron the preload puts a `SightlineApi` on `window.sightline`;
 * in browser mode the same calls go over HTTP to the local server and events come over a WebSocket.
 *
 * Browser-mode auth (docs/ARCHITECTURE.md): the launch URL carries a one-time code in its fragment; `signIn()` swaps
 * it for a session secret and a media key, kept in this tab's sessionStorage (never a cookie: a cookie for
 * 127.0.0.1 reaches every port of it). Calls send the session as `Authorization: Bearer`, the event socket offers it
 * as a `bearer.<secret>` subprotocol, and image URLs are signed with the media key and expire within 20 minutes.
 */
import {
  ApiError,
  ErrorBody,
  type CallName,
  type CallRequest,
  type CallResponse,
  type EventName,
  type EventPayload,
  type SightlineApi,
} from '../common/api/contract.js';
import { fromBase64Url, signImagePath, toBase64Url } from '../common/auth/signing.js';

declare global {
  interface Window {
    sightline?: SightlineApi;
  }
}

type Listener = (payload: unknown) => void;

interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(): void;
}

/** What a signed-in tab holds: the session secret for calls and events, and the key that signs image URLs. */
export interface BrowserCredentials {
  session: string;
  mediaKey: Uint8Array;
}

/** The WebSocket subprotocol of the event stream (electron/server/http.ts EVENTS_PROTOCOL). */
const EVENTS_PROTOCOL = 'sightline';
const STORAGE_KEY = 'sightline.auth';
const CODE_IN_HASH = /^#code=([A-Za-z0-9_-]{16,100})$/;

export interface HttpApiOptions {
  fetch?: typeof fetch;
  /** Opens the event socket with the given subprotocols; defaults to the browser's WebSocket. */
  openSocket?: (url: string, protocols: string[]) => SocketLike;
  location?: { protocol: string; host: string };
  /** Waits before reconnecting the event socket: attempt 0, 1, 2, … */
  backoffMs?: (attempt: number) => number;
  /** This tab's credentials, null before sign-in; defaults to what signIn() stored. */
  credentials?: () => BrowserCredentials | null;
  /** Called when the server answers 401: the session is gone (the server restarted). */
  onUnauthorized?: () => void;
  now?: () => number;
}

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

let current: BrowserCredentials | null | undefined;

function defaultStorage(): StorageLike | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/** The credentials signIn() stored for this tab (they survive a reload, not the tab). */
export function storedCredentials(storage: StorageLike | null = defaultStorage()): BrowserCredentials | null {
  if (current !== undefined) return current;
  try {
    const saved = JSON.parse(storage?.getItem(STORAGE_KEY) ?? 'null') as { session?: unknown; mediaKey?: unknown } | null;
    current =
      saved && typeof saved.session === 'string' && typeof saved.mediaKey === 'string'
        ? { session: saved.session, mediaKey: fromBase64Url(saved.mediaKey) }
        : null;
  } catch {
    current = null;
  }
  return current;
}

/** Drops this tab's credentials (from `storage`; the in-memory copy is read again from it next time). */
export function forgetCredentials(storage: StorageLike | null = defaultStorage()): void {
  storage?.removeItem(STORAGE_KEY);
  current = undefined;
}

export type SignInResult = { ok: true } | { ok: false; message: string };

/**
 * Signs this tab in. A launch URL's `#code=…` is taken off the address at once (so it is not left in history or
 * copied along) and swapped at POST /auth/exchange for this tab's credentials; without a code, the credentials
 * this tab stored earlier are used.
 */
export async function signIn(
  opts: {
    location?: { hash: string; pathname: string; search: string };
    history?: { replaceState(data: unknown, unused: string, url: string): void };
    storage?: StorageLike | null;
    fetch?: typeof fetch;
  } = {},
): Promise<SignInResult> {
  const loc = opts.location ?? window.location;
  const storage = opts.storage === undefined ? defaultStorage() : opts.storage;
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  const code = CODE_IN_HASH.exec(loc.hash)?.[1];
  if (code === undefined) {
    return storedCredentials(storage)
      ? { ok: true }
      : { ok: false, message: 'This tab is not signed in. Open Sightline with the URL printed by `sightline serve` (it signs in one tab).' };
  }
  (opts.history ?? window.history).replaceState(null, '', `${loc.pathname}${loc.search}`);
  let res: Response;
  let body: { ok?: boolean; result?: { session?: unknown; mediaKey?: unknown }; error?: { message?: unknown } };
  try {
    res = await doFetch('/auth/exchange', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code }),
      credentials: 'omit',
      cache: 'no-store',
    });
    body = await res.json();
  } catch (err) {
    return { ok: false, message: `Cannot reach the Sightline server to sign in (${String(err)}). Is it still running?` };
  }
  const { session, mediaKey } = body.result ?? {};
  if (!res.ok || typeof session !== 'string' || typeof mediaKey !== 'string') {
    // A spent code (a reload of a launch URL typed again) still leaves a tab that signed in before usable.
    if (storedCredentials(storage)) return { ok: true };
    return { ok: false, message: typeof body.error?.message === 'string' ? body.error.message : `Sign-in failed (HTTP ${res.status}).` };
  }
  current = { session, mediaKey: fromBase64Url(mediaKey) };
  storage?.setItem(STORAGE_KEY, JSON.stringify({ session, mediaKey: toBase64Url(current.mediaKey) }));
  return { ok: true };
}

/** Whether the address holds a launch code (a launch URL opened in a tab that is already running). */
export function hasLaunchCode(hash: string = window.location.hash): boolean {
  return CODE_IN_HASH.test(hash);
}

const defaultBackoff = (attempt: number) => Math.min(10_000, 250 * 2 ** attempt);

export function createHttpApi(opts: HttpApiOptions = {}): SightlineApi {
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  const loc = opts.location ?? window.location;
  const openSocket = opts.openSocket ?? ((url: string, protocols: string[]) => new WebSocket(url, protocols) as unknown as SocketLike);
  const backoff = opts.backoffMs ?? defaultBackoff;
  const credentials = opts.credentials ?? (() => storedCredentials());
  const now = opts.now ?? (() => Date.now());
  const onUnauthorized =
    opts.onUnauthorized ??
    (() => {
      forgetCredentials();
      window.dispatchEvent(new Event('sightline:signed-out'));
    });
  const listeners = new Map<string, Set<Listener>>();
  let socket: SocketLike | null = null;
  let attempt = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;

  const listenerCount = () => [...listeners.values()].reduce((n, s) => n + s.size, 0);

  function connect() {
    const url = `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/events`;
    const session = credentials()?.session;
    // A browser cannot put headers on a WebSocket: the session travels as a second subprotocol, checked before the upgrade.
    const ws = openSocket(url, session ? [EVENTS_PROTOCOL, `bearer.${session}`] : [EVENTS_PROTOCOL]);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let msg: { event?: unknown; payload?: unknown };
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (typeof msg.event !== 'string') return;
      for (const l of [...(listeners.get(msg.event) ?? [])]) l(msg.payload);
    };
    ws.onerror = () => ws.close();
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      // Nobody listening: stay closed until the next subscriber.
      if (listenerCount() === 0) return;
      reconnectTimer = setTimeout(() => {
        reconnectTimer = null;
        if (!socket && listenerCount() > 0) connect();
      }, backoff(attempt++));
    };
  }

  async function call<K extends CallName>(name: K, args?: CallRequest<K>): Promise<CallResponse<K>> {
    let res: Response;
    try {
      const session = credentials()?.session;
      res = await doFetch(`/api/${name}`, {
        method: 'POST',
        headers: session ? { 'Content-Type': 'application/json', Authorization: `Bearer ${session}` } : { 'Content-Type': 'application/json' },
        body: JSON.stringify(args ?? {}),
        credentials: 'omit',
      });
    } catch (err) {
      throw new ApiError('io', `Cannot reach the Sightline server at ${loc.host} (${String(err)}). Is it still running?`);
    }
    let body: unknown;
    try {
      // Bytes, decoded once: reading a large answer (an image's thousands of labels) as text decodes it chunk by
      // chunk on the page's main thread as it streams in, which costs more than decoding it in one go.
      body = JSON.parse(new TextDecoder().decode(await res.arrayBuffer()));
    } catch {
      throw new ApiError('io', `The server answered ${name} with HTTP ${res.status} and no readable body.`);
    }
    const envelope = body as { ok?: unknown; result?: unknown; error?: unknown };
    if (envelope?.ok === true) return envelope.result as CallResponse<K>;
    if (res.status === 401) onUnauthorized();
    const error = ErrorBody.safeParse(envelope?.error);
    if (error.success) throw new ApiError(error.data.code, error.data.message, error.data.details);
    throw new ApiError('internal', `The server answered ${name} with HTTP ${res.status} in an unknown shape.`);
  }

  function on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    const l = listener as Listener;
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(l);
    if (!socket && !reconnectTimer) connect();
    return () => {
      set.delete(l);
      if (listenerCount() > 0) return;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = null;
      const ws = socket;
      socket = null;
      ws?.close();
    };
  }

  /** `/image/<id>?v=<version>&e=<expiry>&s=<signature>`: usable as <img src> and by Konva, valid 10 to 20 minutes. */
  const mediaUrl = (variant: 'image' | 'thumb', id: number, version?: string) => {
    const key = credentials()?.mediaKey;
    const query = [version ? `v=${encodeURIComponent(version)}` : '', key ? signImagePath(key, variant, id, now()) : ''].filter(Boolean).join('&');
    return query ? `/${variant}/${id}?${query}` : `/${variant}/${id}`;
  };

  return {
    transport: 'http',
    call,
    on,
    imageUrl: (id, version) => mediaUrl('image', id, version),
    thumbUrl: (id, version) => mediaUrl('thumb', id, version),
  };
}

/**
 * Errors lose their class crossing contextBridge (Electron keeps only the message), so the preload rejects with a
 * plain `{code, message, details}` body; rebuild the ApiError here so both transports fail alike.
 */
export function fromPreload(bridge: SightlineApi): SightlineApi {
  const call = (name: CallName, args?: unknown) =>
    bridge.call(name, args as never).catch((e: unknown) => {
      const body = ErrorBody.safeParse(e);
      throw body.success ? new ApiError(body.data.code, body.data.message, body.data.details) : e;
    });
  return { transport: bridge.transport, on: bridge.on, imageUrl: bridge.imageUrl, thumbUrl: bridge.thumbUrl, call: call as SightlineApi['call'] };
}

export const api: SightlineApi = window.sightline ? fromPreload(window.sightline) : createHttpApi();

/** A person-readable message for anything a call threw. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError || err instanceof Error) return err.message;
  return String(err);
}
