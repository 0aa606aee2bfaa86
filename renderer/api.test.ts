// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type SightlineApi } from '../common/api/contract.js';
import { createHmac } from 'node:crypto';
import { signedMessage } from '../common/auth/signing.js';
import { createHttpApi, forgetCredentials, signIn, storedCredentials, type BrowserCredentials } from './api.js';

function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(
    readonly url: string,
    readonly protocols: string[] = [],
  ) {
    FakeSocket.all.push(this);
  }
  close() {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.({});
  }
  send(event: string, payload: unknown) {
    this.onmessage?.({ data: JSON.stringify({ event, payload }) });
  }
}

const location = { protocol: 'http:', host: '127.0.0.1:4567' };
const creds: BrowserCredentials = { session: 'session-secret-0123456789', mediaKey: new Uint8Array(32).fill(7) };
const signedIn = () => creds;

afterEach(() => {
  FakeSocket.all = [];
  vi.useRealTimers();
});

describe('HTTP transport', () => {
  it('posts the call as JSON to /api/<name> with the session as a bearer header, never a cookie, and returns the result', async () => {
    const fetch = vi.fn(async () => jsonResponse({ ok: true, result: { total: 3, offset: 0, items: [] } }));
    const api = createHttpApi({ fetch, location, credentials: signedIn });
    const res = await api.call('images.list', { limit: 50 });
    expect(res.total).toBe(3);
    expect(fetch).toHaveBeenCalledWith('/api/images.list', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${creds.session}` },
      body: JSON.stringify({ limit: 50 }),
      credentials: 'omit',
    });
    await api.call('app.info');
    expect(fetch).toHaveBeenLastCalledWith('/api/app.info', expect.objectContaining({ body: '{}' }));
  });

  it('throws the server error as an ApiError with its code, message and details', async () => {
    const error = { code: 'not_found', message: 'No project file at /x.sightline. Check the path.', details: { path: '/x' } };
    const api = createHttpApi({ fetch: async () => jsonResponse({ ok: false, error }, 404), location });
    const err = await api.call('projects.open', { path: '/x.sightline' }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject(error);
  });

  it('turns an unreachable server or a non-JSON answer into a readable io error', async () => {
    const down = createHttpApi({ fetch: async () => Promise.reject(new TypeError('Failed to fetch')), location });
    await expect(down.call('app.info')).rejects.toMatchObject({ code: 'io', message: expect.stringContaining('127.0.0.1:4567') });
    const html = createHttpApi({ fetch: async () => new Response('<h1>Bad gateway</h1>', { status: 502 }), location });
    await expect(html.call('app.info')).rejects.toMatchObject({ code: 'io', message: expect.stringContaining('502') });
  });

  it('builds image and thumbnail URLs by id, with an optional version, signed with the media key', () => {
    const now = 1_700_000_000_000;
    const api = createHttpApi({ location, credentials: signedIn, now: () => now });
    const url = new URL(api.thumbUrl(7, 'ab cd'), 'http://x');
    expect(url.pathname).toBe('/thumb/7');
    expect(url.searchParams.get('v')).toBe('ab cd');
    const expires = Number(url.searchParams.get('e'));
    expect(expires - now / 1000).toBeGreaterThan(600);
    expect(url.searchParams.get('s')).toBe(createHmac('sha256', creds.mediaKey).update(signedMessage('thumb', 7, expires)).digest('base64url'));
    expect(api.imageUrl(7)).toMatch(/^\/image\/7\?e=\d+&s=[A-Za-z0-9_-]{43}$/);
    expect(api.transport).toBe('http');
    // Before sign-in there is nothing to sign with.
    expect(createHttpApi({ location, credentials: () => null }).imageUrl(7)).toBe('/image/7');
  });

  it('reports a 401 as a lost session', async () => {
    const onUnauthorized = vi.fn();
    const api = createHttpApi({ fetch: async () => jsonResponse({ ok: false, error: { code: 'unauthorized', message: 'no' } }, 401), location, credentials: signedIn, onUnauthorized });
    await expect(api.call('app.info')).rejects.toMatchObject({ code: 'unauthorized' });
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });
});

describe('sign-in', () => {
  const memory = () => {
    const m = new Map<string, string>();
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k), m };
  };
  afterEach(() => forgetCredentials(null));

  it('takes the one-time code off the address at once and swaps it for credentials kept in sessionStorage', async () => {
    const storage = memory();
    const history = { replaceState: vi.fn() };
    const fetch = vi.fn(async () => jsonResponse({ ok: true, result: { session: 's3cret', mediaKey: Buffer.alloc(32, 1).toString('base64url') } }));
    const loc = { hash: '#code=abcdefghijklmnopqrstuvwx', pathname: '/', search: '' };
    expect(await signIn({ location: loc, history, storage, fetch })).toEqual({ ok: true });
    expect(history.replaceState).toHaveBeenCalledWith(null, '', '/');
    expect(fetch).toHaveBeenCalledWith('/auth/exchange', expect.objectContaining({ method: 'POST', body: JSON.stringify({ code: 'abcdefghijklmnopqrstuvwx' }), credentials: 'omit' }));
    expect(storedCredentials(storage)).toEqual({ session: 's3cret', mediaKey: new Uint8Array(32).fill(1) });
    expect(JSON.parse(storage.m.get('sightline.auth')!)).toMatchObject({ session: 's3cret' });

    // A reload has no code: the stored credentials sign it in.
    forgetCredentials(null);
    expect(await signIn({ location: { hash: '', pathname: '/', search: '' }, history, storage, fetch })).toEqual({ ok: true });
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('explains what to do without a code or with a spent one', async () => {
    const storage = memory();
    const none = await signIn({ location: { hash: '#/library', pathname: '/', search: '' }, storage, history: { replaceState: vi.fn() } });
    expect(none).toMatchObject({ ok: false, message: expect.stringContaining('sightline serve') });
    const spent = await signIn({
      location: { hash: '#code=abcdefghijklmnopqrstuvwx', pathname: '/', search: '' },
      storage,
      history: { replaceState: vi.fn() },
      fetch: async () => jsonResponse({ ok: false, error: { code: 'unauthorized', message: 'This sign-in link was already used.' } }, 401),
    });
    expect(spent).toEqual({ ok: false, message: 'This sign-in link was already used.' });
  });
});

describe('HTTP events', () => {
  const make = () =>
    createHttpApi({
      location,
      openSocket: (url, protocols) => new FakeSocket(url, protocols),
      backoffMs: (n) => 100 * 2 ** n,
      credentials: signedIn,
    });

  it('opens one socket to /events on the page host and dispatches messages by event name', () => {
    const api = make();
    const jobs: unknown[] = [];
    const projects: unknown[] = [];
    api.on('job', (p) => jobs.push(p));
    api.on('project', (p) => projects.push(p));
    expect(FakeSocket.all.map((s) => s.url)).toEqual(['ws://127.0.0.1:4567/events']);
    // The session rides as a subprotocol: a browser cannot set headers on a WebSocket.
    expect(FakeSocket.all[0].protocols).toEqual(['sightline', `bearer.${creds.session}`]);
    const ws = FakeSocket.all[0];
    ws.send('job', { id: 'j1' });
    ws.onmessage?.({ data: 'not json' });
    ws.send('project', { reason: 'images' });
    expect(jobs).toEqual([{ id: 'j1' }]);
    expect(projects).toEqual([{ reason: 'images' }]);
  });

  it('reconnects with growing backoff, resets it once connected, and stops when nobody listens', () => {
    vi.useFakeTimers();
    const api = make();
    const got: unknown[] = [];
    const off = api.on('job', (p) => got.push(p));
    FakeSocket.all[0].close();
    vi.advanceTimersByTime(99);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1].close();
    vi.advanceTimersByTime(199);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(3);

    const ws = FakeSocket.all[2];
    ws.onopen?.({});
    ws.send('job', { id: 'after-reconnect' });
    expect(got).toEqual([{ id: 'after-reconnect' }]);
    ws.close();
    vi.advanceTimersByTime(100);
    expect(FakeSocket.all).toHaveLength(4);

    off();
    expect(FakeSocket.all[3].closed).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(4);
  });
});

describe('transport choice', () => {
  it('uses the Electron preload API when window.sightline exists', async () => {
    // The bridge rejects with a plain error body (contextBridge drops the class); the api rebuilds ApiError.
    const preload = {
      transport: 'electron',
      call: () => Promise.reject({ code: 'not_found', message: 'Image 7 is not in this project.' }),
    } as unknown as SightlineApi;
    window.sightline = preload;
    vi.resetModules();
    try {
      const { api } = await import('./api.js');
      expect(api.transport).toBe('electron');
      const err = await api.call('images.get', { id: 7 }).catch((e: unknown) => e);
      // resetModules loaded a fresh contract module, so compare by shape, not by class identity.
      expect(err).toBeInstanceOf(Error);
      expect(err).toMatchObject({ name: 'ApiError', code: 'not_found', message: 'Image 7 is not in this project.' });
    } finally {
      delete window.sightline;
      vi.resetModules();
    }
    expect((await import('./api.js')).api.transport).toBe('http');
  });
});
