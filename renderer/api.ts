/**
 * The renderer's one way to talk to the core. In Electron the preload puts a `SightlineApi` on `window.sightline`;
 * in browser mode the same calls go over HTTP to the local server and events come over a WebSocket. Auth is an
 * HttpOnly cookie the server set when it served the page, so requests carry nothing extra.
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

export interface HttpApiOptions {
  fetch?: typeof fetch;
  /** Opens the event socket; defaults to the browser's WebSocket. */
  openSocket?: (url: string) => SocketLike;
  location?: { protocol: string; host: string };
  /** Waits before reconnecting the event socket: attempt 0, 1, 2, … */
  backoffMs?: (attempt: number) => number;
}

const defaultBackoff = (attempt: number) => Math.min(10_000, 250 * 2 ** attempt);

export function createHttpApi(opts: HttpApiOptions = {}): SightlineApi {
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  const loc = opts.location ?? window.location;
  const openSocket = opts.openSocket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
  const backoff = opts.backoffMs ?? defaultBackoff;
  const listeners = new Map<string, Set<Listener>>();
  let socket: SocketLike | null = null;
  let attempt = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;

  const listenerCount = () => [...listeners.values()].reduce((n, s) => n + s.size, 0);

  function connect() {
    const url = `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/events`;
    const ws = openSocket(url);
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
      res = await doFetch(`/api/${name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(args ?? {}),
        credentials: 'same-origin',
      });
    } catch (err) {
      throw new ApiError('io', `Cannot reach the Sightline server at ${loc.host} (${String(err)}). Is it still running?`);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new ApiError('io', `The server answered ${name} with HTTP ${res.status} and no readable body.`);
    }
    const envelope = body as { ok?: unknown; result?: unknown; error?: unknown };
    if (envelope?.ok === true) return envelope.result as CallResponse<K>;
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

  const withVersion = (path: string, version?: string) =>
    version ? `${path}?v=${encodeURIComponent(version)}` : path;

  return {
    transport: 'http',
    call,
    on,
    imageUrl: (id, version) => withVersion(`/image/${id}`, version),
    thumbUrl: (id, version) => withVersion(`/thumb/${id}`, version),
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
