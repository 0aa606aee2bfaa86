import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { ApiError, isCallName, parseCallArgs, type EventName, type EventPayload, type Job } from '../../common/api/contract.js';
import type { CoreHost, ImageBody, ImageVariant } from '../core/host.js';
import { createHttpClient } from './client.js';
import { createHmac } from 'node:crypto';
import { open as openFile } from 'node:fs/promises';
import { signedMessage, signImagePath } from '../../common/auth/signing.js';
import { EVENTS_PROTOCOL, MAX_BODY_BYTES, startServer, type RunningServer } from './http.js';

type Listener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/** A few calls parsed with the real contract, images from a temp dir, events pushed by the test. */
class TestHost implements CoreHost {
  readonly listeners = new Set<Listener>();
  readonly imageRequests: Array<[number, ImageVariant]> = [];
  /** Signals of the requests for image 499, which waits until its request is closed. */
  readonly abortSignals: AbortSignal[] = [];
  constructor(private readonly imageFile: string) {}

  async dispatch(name: string, raw: unknown): Promise<unknown> {
    if (!isCallName(name)) throw new ApiError('unknown_call', `There is no call named ${name}.`);
    switch (name) {
      case 'classes.upsert': {
        const args = parseCallArgs(name, raw);
        return { id: args.id ?? 7, name: args.name, color: args.color ?? '#ff0000', hotkey: args.hotkey ?? null, position: 0 };
      }
      case 'images.setStatus': {
        const args = parseCallArgs(name, raw);
        return { updated: args.ids.length };
      }
      case 'jobs.get':
        parseCallArgs(name, raw);
        throw new Error('database handle exploded at /secret/internal/path');
      default:
        throw new ApiError('no_project', 'No project is open.');
    }
  }

  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const l of this.listeners) l(event, payload);
  }

  async imageBody(id: number, variant: ImageVariant, request?: { signal?: AbortSignal }): Promise<ImageBody> {
    this.imageRequests.push([id, variant]);
    if (id === 404) throw new ApiError('not_found', `Image ${id} is not in this project.`);
    if (id === 499) {
      const signal = request!.signal!;
      this.abortSignals.push(signal);
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      throw new DOMException('withdrawn', 'AbortError');
    }
    if (variant === 'thumb') return { mime: 'image/webp', etag: `thumb-${id}`, buffer: Buffer.from('RIFFfakewebp') };
    const handle = await openFile(this.imageFile, 'r');
    return { mime: 'image/png', etag: `"img-${id}-v1"`, file: { handle, size: (await handle.stat()).size, path: this.imageFile } };
  }
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

let tmp: string;
let pngBytes: Buffer;
let host: TestHost;
let server: RunningServer;
const token = 'test-token-0123456789abcdefghijklmnop';

/** node:http, not fetch: the tests need to send forged Host headers and unnormalised paths as they are. */
function raw(
  method: string,
  urlPath: string,
  opts: { headers?: Record<string, string | number>; body?: string | Buffer; chunks?: Buffer[]; auth?: boolean } = {},
): Promise<RawResponse> {
  const headers: Record<string, string | number> = { Host: `127.0.0.1:${server.port}`, ...opts.headers };
  if (opts.auth !== false) headers.Authorization ??= `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path: urlPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (opts.chunks) {
      for (const c of opts.chunks) req.write(c);
      req.end();
    } else req.end(opts.body);
  });
}

const postJson = (name: string, body: unknown, headers: Record<string, string> = {}) =>
  raw('POST', `/api/${name}`, { headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

function jobPayload(id: string): Job {
  return { id, kind: 'import', title: 'Import', state: 'running', done: 1, total: 10, message: '', startedAt: 1, finishedAt: null, error: null };
}

function openWs(headers: Record<string, string>, protocols: string[] = []): Promise<{ ws: WebSocket; status?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`, protocols, { headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ ws, status: res.statusCode });
    });
    ws.once('error', reject);
  });
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'sightline-server-'));
  pngBytes = await sharp({ create: { width: 4, height: 3, channels: 3, background: '#3366cc' } }).png().toBuffer();
  const imageFile = path.join(tmp, 'photo.png');
  writeFileSync(imageFile, pngBytes);
  // staticDir sits next to a file it must never serve.
  writeFileSync(path.join(tmp, 'package.json'), '{"secret":true}');
  const dist = path.join(tmp, 'dist');
  mkdirSync(path.join(dist, 'assets'), { recursive: true });
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>Sightline</title>');
  writeFileSync(path.join(dist, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(dist, 'assets', 'font.woff2'), 'wOF2');
  writeFileSync(path.join(dist, '.env'), 'SECRET=1');
  // Links inside the build folder: two lead out of it (to the secret beside it, to the folder above), one stays in.
  symlinkSync(path.join(tmp, 'package.json'), path.join(dist, 'leak.json'));
  symlinkSync(tmp, path.join(dist, 'up'));
  symlinkSync(path.join(dist, 'assets', 'app.js'), path.join(dist, 'alias.js'));
  host = new TestHost(imageFile);
  server = await startServer({ host, staticDir: dist, token });
});

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('binding and token', () => {
  it('listens on 127.0.0.1 only', async () => {
    /** Whether a TCP connection to host:port opens within 2 s (a silently dropped SYN counts as not). */
    const opens = (host: string) =>
      new Promise<boolean>((resolve) => {
        const s = connect({ port: server.port, host });
        const done = (ok: boolean) => (s.destroy(), clearTimeout(timer), resolve(ok));
        const timer = setTimeout(() => done(false), 2000);
        s.once('connect', () => done(true));
        s.once('error', () => done(false));
      });
    // The probe works: the bound address answers.
    expect(await opens('127.0.0.1')).toBe(true);
    // Every other address of this machine must refuse. 127.0.0.2 is always probed: Linux routes all of 127/8 to the
    // loopback interface, so a socket bound to 0.0.0.0 or :: answers there even on a machine with no other
    // interface, while one bound to 127.0.0.1 does not. Other interfaces are probed where the machine has them.
    const others = [
      '127.0.0.2',
      ...Object.values(networkInterfaces())
        .flat()
        .filter((i) => i && !i.internal && !i.address.startsWith('fe80:'))
        .map((i) => i!.address),
    ];
    const answered: string[] = [];
    for (const host of others) if (await opens(host)) answered.push(host);
    expect(answered, `answered on ${others.join(', ')}`).toEqual([]);
    // And what startServer reports is that address.
    expect(server.address.address).toBe('127.0.0.1');
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/#code=[A-Za-z0-9_-]{32}$`));
  });

  it('makes a fresh 32-byte token per launch unless given', async () => {
    const a = await startServer({ host });
    const b = await startServer({ host });
    try {
      expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(a.token).not.toBe(b.token);
      expect(a.port).not.toBe(b.port);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('API calls', () => {
  it('runs a correct call with security headers', async () => {
    const res = await postJson('classes.upsert', { name: 'cat', color: '#00ff00' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true, result: { id: 7, name: 'cat', color: '#00ff00', hotkey: null, position: 0 } });
    expect(res.headers['content-security-policy']).toContain(`connect-src 'self' ws://127.0.0.1:${server.port} ws://localhost:${server.port}`);
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
  });

  it('accepts localhost:PORT as Host and a same-server Origin', async () => {
    const res = await postJson('images.setStatus', { ids: [1, 2], status: 'done' }, {
      Host: `localhost:${server.port}`,
      Origin: `http://localhost:${server.port}`,
    });
    expect(res.json).toEqual({ ok: true, result: { updated: 2 } });
  });

  it('refuses a missing token with 401 JSON', async () => {
    const res = await raw('POST', '/api/classes.upsert', { auth: false, headers: { 'Content-Type': 'application/json' }, body: '{"name":"x"}' });
    expect(res.status).toBe(401);
    expect(res.json.ok).toBe(false);
    expect(res.json.error.code).toBe('unauthorized');
    expect(res.json.error.message).toContain('sightline serve');
  });

  it('refuses a wrong token, including one that differs only in length', async () => {
    for (const bad of ['test-token-0123456789abcdefghijklmnoX', `${token}x`, token.slice(0, -1)]) {
      const res = await postJson('classes.upsert', { name: 'x' }, { Authorization: `Bearer ${bad}` });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('unauthorized');
    }
    // Cookies are not a credential at all (issue 11: a 127.0.0.1 cookie goes to every local port).
    const cookie = await postJson('classes.upsert', { name: 'x' }, { Authorization: '', Cookie: `sightline_token=${token}` });
    expect(cookie.status).toBe(401);
  });

  it('refuses a foreign Origin with 403 even with the token', async () => {
    for (const origin of ['http://evil.com', `http://evil.com:${server.port}`, 'null', `https://127.0.0.1:${server.port}`, 'http://127.0.0.1:1']) {
      const res = await postJson('classes.upsert', { name: 'x' }, { Origin: origin });
      expect(res.status, origin).toBe(403);
      expect(res.json.error.code).toBe('forbidden');
    }
  });

  it('refuses a foreign Host (DNS rebinding) with 403', async () => {
    for (const h of [`evil.com:${server.port}`, '127.0.0.1', `127.0.0.1:${server.port + 1}`, `[::1]:${server.port}`]) {
      const res = await postJson('classes.upsert', { name: 'x' }, { Host: h });
      expect(res.status, h).toBe(403);
      expect(res.json.error.code).toBe('forbidden');
    }
  });

  it('allows only POST', async () => {
    const res = await raw('GET', '/api/classes.upsert');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });

  it('requires Content-Type: application/json (blocks form posts)', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await raw('POST', '/api/classes.upsert', { headers: { 'Content-Type': type }, body: '{"name":"x"}' });
      expect(res.status, type).toBe(415);
    }
    const missing = await raw('POST', '/api/classes.upsert', { body: '{"name":"x"}' });
    expect(missing.status).toBe(415);
    const withCharset = await raw('POST', '/api/classes.upsert', {
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: '{"name":"x"}',
    });
    expect(withCharset.status).toBe(200);
  });

  it('answers malformed JSON with 400 bad_request', async () => {
    const res = await raw('POST', '/api/classes.upsert', { headers: { 'Content-Type': 'application/json' }, body: '{"name":' });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('bad_request');
    expect(res.json.error.message).toContain('not valid JSON');
  });

  it('answers an oversize body with 413, declared or streamed', async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    const declared = await raw('POST', '/api/classes.upsert', { headers: { 'Content-Type': 'application/json' }, body: big });
    expect(declared.status).toBe(413);
    expect(declared.json.error.message).toContain('32 MiB');
    // Chunked: no Content-Length to check up front.
    const half = Buffer.alloc(MAX_BODY_BYTES / 2 + 1, 0x20);
    const streamed = await raw('POST', '/api/classes.upsert', { headers: { 'Content-Type': 'application/json' }, chunks: [half, half] });
    expect(streamed.status).toBe(413);
  });

  it('answers a schema failure with 400 and the issue text', async () => {
    const res = await postJson('classes.upsert', { name: 'x', color: 'red' });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('bad_request');
    expect(res.json.error.message).toMatch(/Invalid arguments for classes\.upsert: color: /);
    expect(res.json.error.details.issues).toHaveLength(1);
  });

  it('answers an unknown call with 404 unknown_call', async () => {
    const res = await postJson('fs.readFile', { path: '/etc/passwd' });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('unknown_call');
  });

  it('maps ApiError codes to statuses and hides non-ApiError details', async () => {
    const noProject = await postJson('classes.list', {});
    expect(noProject.status).toBe(409);
    expect(noProject.json.error).toEqual({ code: 'no_project', message: 'No project is open.' });

    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await postJson('jobs.get', { id: 'j1' });
      expect(res.status).toBe(500);
      expect(res.json.error.code).toBe('internal');
      expect(res.text).not.toContain('/secret/internal/path');
      expect(String(spy.mock.calls.flat().map((a) => (a instanceof Error ? a.stack : a)))).toContain('/secret/internal/path');
    } finally {
      spy.mockRestore();
    }
  });
});

/** Spends a launch URL's one-time code as the page does. */
async function exchange(url: string, headers: Record<string, string> = {}) {
  const code = new URL(url).hash.slice('#code='.length);
  return raw('POST', '/auth/exchange', { auth: false, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ code }) });
}

describe('sign-in', () => {
  it('serves the page and its assets to anyone on this machine, and never sets a cookie', async () => {
    for (const p of ['/', `/?token=${token}`, '/assets/app.js']) {
      const res = await raw('GET', p, { auth: false });
      expect(res.status, p).toBe(200);
      expect(res.headers['set-cookie'], p).toBeUndefined();
    }
    expect((await raw('GET', '/', { auth: false })).text).toContain('<title>Sightline</title>');
  });

  it('swaps a launch URL\'s one-time code for a session secret once, without a cookie', async () => {
    const url = server.url;
    expect(server.url).not.toBe(url); // every read is a new code
    const first = await exchange(url, { Origin: server.origin });
    expect(first.status).toBe(200);
    expect(first.headers['set-cookie']).toBeUndefined();
    expect(first.headers['cache-control']).toBe('no-store');
    const { session, mediaKey } = first.json.result;
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session).not.toBe(token);
    expect(mediaKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const api = await postJson('images.setStatus', { ids: [3], status: 'new' }, { Authorization: `Bearer ${session}`, Origin: server.origin });
    expect(api.json).toEqual({ ok: true, result: { updated: 1 } });

    const again = await exchange(url);
    expect(again.status).toBe(401);
    expect(again.json.error.message).toContain('already used');
    expect((await exchange(`${server.origin}/#code=made-up-code-0123456789abcdef`)).status).toBe(401);
    expect((await exchange(server.url, { Origin: 'http://127.0.0.1:1' })).status).toBe(403);
    expect((await raw('GET', '/auth/exchange', { auth: false })).status).toBe(405);
    const form = await raw('POST', '/auth/exchange', { auth: false, headers: { 'Content-Type': 'text/plain' }, body: '{"code":"x"}' });
    expect(form.status).toBe(415);
  });

  it('runs a launch URL\'s hook when its code is spent', async () => {
    let used = 0;
    const url = server.launchUrl({ onUse: () => used++ });
    expect(used).toBe(0);
    await exchange(url);
    await exchange(url);
    expect(used).toBe(1);
  });

  it('opens an image with a signed URL that has not expired, for that image and route only', async () => {
    const key = Buffer.from((await exchange(server.url)).json.result.mediaKey, 'base64url');
    const signed = (variant: 'image' | 'thumb', id: number, now = Date.now()) => `/${variant}/${id}?${signImagePath(key, variant, id, now)}`;
    const ok = await raw('GET', signed('image', 12), { auth: false });
    expect(ok.status).toBe(200);
    expect(ok.headers['set-cookie']).toBeUndefined();
    expect((await raw('GET', `${signed('thumb', 5)}&v=abc`, { auth: false })).status).toBe(200);
    const refused = [
      signed('image', 12).replace('/image/12', '/image/13'), // another image
      signed('image', 12).replace('/image/', '/thumb/'), // another route
      signed('image', 12, Date.now() - 30 * 60_000), // expired
      signed('image', 12, Date.now() + 60 * 60_000), // too far ahead
      signed('image', 12).replace(/s=./, 's=A'), // tampered
      '/image/12?e=9999999999',
    ];
    const past = Math.floor(Date.now() / 1000) - 1;
    refused.push(`/image/12?e=${past}&s=${createHmac('sha256', key).update(signedMessage('image', 12, past)).digest('base64url')}`);
    for (const p of refused) expect((await raw('GET', p, { auth: false })).status, p).toBe(401);
  });
});

describe('images', () => {
  it('streams the file with type, ETag, cache and nosniff headers', async () => {
    const res = await new Promise<{ status: number; headers: any; body: Buffer }>((resolve, reject) => {
      request({ host: '127.0.0.1', port: server.port, path: '/image/12', headers: { Authorization: `Bearer ${token}`, Host: `127.0.0.1:${server.port}` } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });
    expect(res.status).toBe(200);
    expect(res.body.equals(pngBytes)).toBe(true);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-length']).toBe(String(pngBytes.length));
    expect(res.headers.etag).toBe('"img-12-v1"');
    expect(res.headers['cache-control']).toBe('private, max-age=3600');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(host.imageRequests.at(-1)).toEqual([12, 'image']);
  });

  it('honours If-None-Match with 304', async () => {
    const res = await raw('GET', '/image/12', { headers: { 'If-None-Match': '"other", "img-12-v1"' } });
    expect(res.status).toBe(304);
    expect(res.text).toBe('');
    const stale = await raw('GET', '/image/12', { headers: { 'If-None-Match': '"img-12-v0"' } });
    expect(stale.status).toBe(200);
  });

  it('sends a thumbnail buffer and quotes a bare ETag', async () => {
    const res = await raw('GET', '/thumb/5');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/webp');
    expect(res.text).toBe('RIFFfakewebp');
    expect(res.headers.etag).toBe('"thumb-5"');
    expect(host.imageRequests.at(-1)).toEqual([5, 'thumb']);
    expect((await raw('GET', '/thumb/5', { headers: { 'If-None-Match': '"thumb-5"' } })).status).toBe(304);
  });

  it('withdraws a thumbnail from the core when its request is closed before the answer', async () => {
    const req = request({ host: '127.0.0.1', port: server.port, path: '/thumb/499', headers: { Host: `127.0.0.1:${server.port}`, Authorization: `Bearer ${token}` }, agent: false });
    req.on('error', () => undefined);
    req.end();
    await vi.waitFor(() => expect(host.abortSignals).toHaveLength(1));
    expect(host.abortSignals[0].aborted).toBe(false);
    req.destroy(); // the cell scrolled away
    await vi.waitFor(() => expect(host.abortSignals[0].aborted).toBe(true));
    // The server still answers others.
    expect((await raw('GET', '/thumb/5')).status).toBe(200);
  });

  it('passes the core not_found through', async () => {
    const res = await raw('GET', '/image/404');
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('not_found');
  });

  it('refuses ids that are not positive integers without asking the core', async () => {
    const before = host.imageRequests.length;
    for (const p of ['/image/..%2F..%2Fetc%2Fpasswd', '/image/abc', '/thumb/0', '/image/-1', '/image/1.5', '/image/01', '/image/99999999999999999', '/image/%31']) {
      const res = await raw('GET', p);
      expect(res.status, p).toBe(400);
      expect(res.json.error.code).toBe('bad_request');
    }
    expect(host.imageRequests.length).toBe(before);
  });

  it('needs the token', async () => {
    const before = host.imageRequests.length;
    const res = await raw('GET', '/image/12', { auth: false });
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('unauthorized');
    expect(host.imageRequests.length).toBe(before);
  });
});

describe('static files', () => {
  it('serves index.html for / and assets with their MIME types', async () => {
    expect((await raw('GET', '/')).headers['content-type']).toBe('text/html; charset=utf-8');
    const js = await raw('GET', '/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.text).toBe('console.log(1)');
    expect((await raw('GET', '/assets/font.woff2')).headers['content-type']).toBe('font/woff2');
    expect((await raw('GET', '/assets/missing.js')).status).toBe(404);
    expect((await raw('GET', '/assets')).status).toBe(404);
  });

  it('refuses traversal and dotfiles', async () => {
    for (const p of ['/..%2Fpackage.json', '/%2e%2e/package.json', '/../package.json', '/assets/..%2F..%2Fpackage.json', '/.env', '/%2eenv', '/..%5Cpackage.json', '/%00', '/%E0%A4%A']) {
      const res = await raw('GET', p);
      expect([403, 404], p).toContain(res.status);
      expect(res.text).not.toContain('secret');
    }
  });

  it('refuses a symlink in the build folder that leads out of it, and serves one that stays inside', async () => {
    for (const p of ['/leak.json', '/up/package.json', '/up/photo.png']) {
      const res = await raw('GET', p);
      expect(res.status, p).toBe(404);
      expect(res.text, p).not.toContain('secret');
    }
    const inside = await raw('GET', '/alias.js');
    expect(inside.status).toBe(200);
    expect(inside.text).toBe('console.log(1)');
  });

  it('serves only GET and HEAD', async () => {
    expect((await raw('POST', '/', { body: 'x' })).status).toBe(405);
    const head = await raw('HEAD', '/assets/app.js');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });

  it('answers from the build as it was at start, with ETags, until index.html changes; then all from disk', async () => {
    const dist = path.join(tmp, 'dist');
    const js = await raw('GET', '/assets/app.js');
    expect(js.headers.etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    expect((await raw('GET', '/assets/app.js', { headers: { 'If-None-Match': js.headers.etag as string } })).status).toBe(304);
    // Held in memory: a file gone from disk is still served while the build it belongs to is.
    rmSync(path.join(dist, 'assets', 'font.woff2'));
    expect((await raw('GET', '/assets/font.woff2')).status).toBe(200);
    // A rebuild (a new index.html) while the server runs: the new page, and every file read from disk from then on,
    // so old and new are never mixed.
    writeFileSync(path.join(dist, 'assets', 'app.js'), 'console.log(2)');
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>Sightline, rebuilt</title>');
    expect((await raw('GET', '/')).text).toContain('rebuilt');
    expect((await raw('GET', '/assets/app.js')).text).toBe('console.log(2)');
    expect((await raw('GET', '/assets/font.woff2')).status).toBe(404);
  });
});

describe('events WebSocket', () => {
  const sockets: WebSocket[] = [];
  afterEach(() => {
    for (const ws of sockets.splice(0)) ws.terminate();
  });

  const open = async (headers: Record<string, string>, protocols: string[] = []) => {
    const r = await openWs(headers, protocols);
    sockets.push(r.ws);
    return r;
  };

  it('refuses an upgrade without a token or with a wrong one', async () => {
    const none = await open({});
    expect(none.status).toBe(401);
    const wrong = await open({ Authorization: 'Bearer wrong' });
    expect(wrong.status).toBe(401);
    expect(host.listeners.size).toBe(0);
  });

  it('refuses an upgrade from a foreign Origin or Host', async () => {
    const origin = await open({ Authorization: `Bearer ${token}`, Origin: 'http://evil.com' });
    expect(origin.status).toBe(403);
    const hostHeader = await open({ Authorization: `Bearer ${token}`, Host: `evil.com:${server.port}` });
    expect(hostHeader.status).toBe(403);
    expect(host.listeners.size).toBe(0);
  });

  it('takes a session as a subprotocol from a browser, never a cookie or a bare protocol', async () => {
    const session = (await exchange(server.url)).json.result.session;
    expect((await open({ Origin: server.origin }, [EVENTS_PROTOCOL, `bearer.${session}x`])).status).toBe(401);
    expect((await open({ Origin: server.origin, Cookie: `sightline_token=${token}` }, [EVENTS_PROTOCOL])).status).toBe(401);
    const ok = await open({ Origin: server.origin }, [EVENTS_PROTOCOL, `bearer.${session}`]);
    expect(ok.status).toBeUndefined();
    expect(ok.ws.protocol).toBe(EVENTS_PROTOCOL);
    await vi.waitFor(() => expect(host.listeners.size).toBe(1));
    ok.ws.close();
    await vi.waitFor(() => expect(host.listeners.size).toBe(0));
  });

  it('delivers emitted events to every client with a credential (header or subprotocol) and unsubscribes on close', async () => {
    const session = (await exchange(server.url)).json.result.session;
    const a = await open({ Authorization: `Bearer ${token}` });
    const b = await open({ Origin: server.origin }, [EVENTS_PROTOCOL, `bearer.${session}`]);
    expect(a.status).toBeUndefined();
    expect(b.status).toBeUndefined();
    await vi.waitFor(() => expect(host.listeners.size).toBe(2));

    const received = [a.ws, b.ws].map((ws) => new Promise<unknown>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d))))));
    host.emit('job', jobPayload('j1'));
    for (const msg of await Promise.all(received)) expect(msg).toEqual({ event: 'job', payload: jobPayload('j1') });

    a.ws.close();
    await vi.waitFor(() => expect(host.listeners.size).toBe(1));
  });
});

describe('Node client', () => {
  it('calls, rebuilds ApiError and receives typed events', async () => {
    const client = createHttpClient(server.url);
    expect(await client.call('images.setStatus', { ids: [1, 2, 3], status: 'review' })).toEqual({ updated: 3 });

    const err = await client.call('classes.upsert', { name: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('bad_request');
    expect((err as ApiError).message).toContain('classes.upsert');

    const seen: Array<[string, unknown]> = [];
    const sub = await client.events((event, payload) => seen.push([event, payload]));
    host.emit('job', { bogus: true } as unknown as Job); // fails the contract: skipped
    host.emit('job', jobPayload('j2'));
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    expect(seen[0]).toEqual(['job', jobPayload('j2')]);
    await sub.close();
    await vi.waitFor(() => expect(host.listeners.size).toBe(0));
  });

  it('reports a refused event stream and an unreachable server as ApiError', async () => {
    const wrong = createHttpClient(server.origin, { token: 'not-the-token' });
    await expect(wrong.events(() => {})).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(wrong.call('classes.list')).rejects.toMatchObject({ code: 'unauthorized' });

    const gone = await startServer({ host });
    const url = gone.url;
    await gone.close();
    await expect(createHttpClient(url).call('classes.list')).rejects.toMatchObject({ code: 'io' });
    expect(() => createHttpClient(server.origin)).toThrow(/token/);
  });

  it('close() ends open sockets promptly', async () => {
    const s = await startServer({ host });
    const sub = await createHttpClient(s.url).events(() => {});
    await s.close();
    await sub.closed;
    expect(host.listeners.size).toBe(0);
  });
});
