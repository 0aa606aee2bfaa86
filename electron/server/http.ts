/**
 * The Sightline API over HTTP + WebSocket on 127.0.0.1, for browser mode, the CLI and e2e tests. It holds no logic
 * beyond deciding who may call: every request must come from this machine's browser (Host and Origin checks stop
 * DNS rebinding and cross-site requests) and carry a credential.
 *
 * Credentials (issue 11; docs/ARCHITECTURE.md "Browser-mode auth"). No cookies: a cookie for 127.0.0.1 is sent to
 * every port of 127.0.0.1, so any local web server the person visits would learn it.
 * - The bearer secret (`token`, from SIGHTLINE_TOKEN or random) is for scripts: `Authorization: Bearer`.
 * - A launch URL carries a one-time code in its fragment (never sent to a server, never on a command line). The
 *   page swaps it once at POST /auth/exchange for a session secret, kept in the tab's sessionStorage and sent as
 *   `Authorization: Bearer`, and a media key that signs short-lived image URLs (common/auth/signing.ts).
 * - The event WebSocket takes the bearer header, or from a browser (which cannot set headers on a WebSocket) the
 *   session as a `bearer.<secret>` subprotocol, checked before the upgrade.
 * The renderer's own files (HTML, JS, CSS) are public: they hold nothing secret, and the page needs them to sign in.
 *
 * Bounded work: bodies over MAX_BODY_BYTES get 413 before they are read, error replies are capped, connections are
 * capped, and a connection that has not shown a credential is dropped after a few idle seconds.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError, httpStatusFor, type ErrorBody, type ErrorCode } from '../../common/api/contract.js';
import { signedMessage, SIGNED_URL_MAX_AHEAD_S, SIGNED_URL_WINDOW_S, type SignedVariant } from '../../common/auth/signing.js';
import { isAbortError } from '../../common/workQueue.js';
import type { CoreHost, ImageFile, ImageVariant } from '../core/host.js';
import { openRegular } from '../core/library/safeOpen.js';
import { mimeOf, rendererEtag, rendererKey, resolveRendererFile, snapshotRenderer } from '../core/rendererFiles.js';

export interface ServerLimits {
  /** A connection that has sent no complete request headers (or no credential) is dropped after this long idle. */
  idleTimeoutMs: number;
  /** Request headers must be complete within this long (slow senders). */
  headersTimeoutMs: number;
  /** Open connections at once, WebSockets included; more are closed as they arrive. */
  maxConnections: number;
}

export const DEFAULT_LIMITS: ServerLimits = { idleTimeoutMs: 5_000, headersTimeoutMs: 5_000, maxConnections: 128 };

export interface ServerOptions {
  host: CoreHost;
  /** The built renderer (renderer/dist); without it only the API, images and events are served. */
  staticDir?: string;
  port?: number;
  /** The bearer secret for scripts and tests (the CLI passes SIGHTLINE_TOKEN); random when left out. */
  token?: string;
  limits?: Partial<ServerLimits>;
}

export interface RunningServer {
  /**
   * A URL that signs in the page that opens it: `http://127.0.0.1:PORT/#code=CODE`. Each read makes a new one-time
   * code, so every page (or Node client) given `server.url` gets its own.
   */
  readonly url: string;
  /** A new launch URL; `onUse` runs when its code is spent (or dropped unused at close). */
  launchUrl(opts?: { onUse?: () => void }): string;
  origin: string;
  port: number;
  /** The bearer secret (`Authorization: Bearer <token>`), for scripts and tests. */
  token: string;
  /** Where the socket is bound (always 127.0.0.1). */
  address: AddressInfo;
  close(): Promise<void>;
}

export const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Error replies larger than this lose their details and have their message cut. */
export const MAX_ERROR_BYTES = 64 * 1024;
/** The WebSocket subprotocol the page asks for; its credential travels as a second one, `bearer.<session>`. */
export const EVENTS_PROTOCOL = 'sightline';
const BEARER_PROTOCOL_PREFIX = 'bearer.';
const HEARTBEAT_MS = 30_000;
/** A client this far behind on events is stuck; dropping it beats buffering without bound. */
const MAX_WS_BUFFERED = 16 * 1024 * 1024;
/** Outstanding sign-in codes and live sessions; the oldest goes when a new one would pass the limit. */
const MAX_CODES = 64;
const MAX_SESSIONS = 64;
/** After a 413 the rest of the body is read (so the client sees the reply, not a reset) up to this much. */
const DRAIN_AFTER_413_BYTES = 1024 * 1024;
const DRAIN_AFTER_413_MS = 2_000;
const IMAGE_ID = /^[1-9][0-9]{0,15}$/;
const NOT_SIGNED_IN = 'Open Sightline with the URL printed by `sightline serve`: it signs in one browser tab.';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { host } = opts;
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const token = opts.token ?? randomBytes(32).toString('base64url');
  // The token travels in a header, so it must need no escaping there.
  if (!/^[A-Za-z0-9_-]{16,512}$/.test(token)) throw new Error('The server token must be 16 to 512 characters of A-Z, a-z, 0-9, _ or -.');
  const tokenBytes = Buffer.from(token);
  const staticRoot = opts.staticDir === undefined ? undefined : await realpath(opts.staticDir);
  /** The renderer's files in memory (rendererFiles.ts snapshotRenderer); dropped if index.html changes on disk. */
  let snapshot = staticRoot === undefined ? null : await snapshotRenderer(staticRoot).catch(() => null);
  /** sha256(code) → what to do once it is spent. Kept hashed, so a lookup reveals nothing by its timing. */
  const codes = new Map<string, { onUse?: () => void }>();
  /** sha256(session secret) */
  const sessions = new Set<string>();
  /** Signs image URLs; handed to each signed-in page. */
  const mediaKey = randomBytes(32);

  // Filled in once the port is known (port 0 picks one at listen time).
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();
  let securityHeaders: Record<string, string> = {};

  const server = createServer(
    { headersTimeout: limits.headersTimeoutMs, requestTimeout: 60_000, connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs), keepAliveTimeout: 5_000 },
    (req, res) => {
      for (const [k, v] of Object.entries(securityHeaders)) res.setHeader(k, v);
      handle(req, res).catch((err) => {
        console.error('[sightline server] unexpected failure for', req.method, req.url, err);
        if (!res.headersSent) sendError(res, new ApiError('internal', 'Sightline hit an unexpected error; details are in the server log.'));
        else res.destroy();
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  // Node's own headers timeout never fires for a connection that sends nothing at all: drop those when idle. A
  // request that shows a credential clears it (a long call must not be cut); keep-alive then has its own timeout.
  server.on('connection', (socket: Socket) => socket.setTimeout(limits.idleTimeoutMs));
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    handleProtocols: (protocols) => (protocols.has(EVENTS_PROTOCOL) ? EVENTS_PROTOCOL : false),
  });

  function secretMatches(candidate: string | undefined): boolean {
    if (!candidate) return false;
    const bytes = Buffer.from(candidate);
    if (bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes)) return true;
    return sessions.has(sha256(candidate));
  }

  function bearerOf(req: IncomingMessage): string | undefined {
    const auth = req.headers.authorization;
    return auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
  }

  function mintCode(onUse?: () => void): string {
    const code = randomBytes(24).toString('base64url');
    codes.set(sha256(code), { onUse });
    while (codes.size > MAX_CODES) {
      const [oldest, entry] = codes.entries().next().value!;
      codes.delete(oldest);
      entry.onUse?.();
    }
    return code;
  }

  function newSession(): string {
    const session = randomBytes(32).toString('base64url');
    sessions.add(sha256(session));
    while (sessions.size > MAX_SESSIONS) sessions.delete(sessions.values().next().value!);
    return session;
  }

  function signatureValid(variant: SignedVariant, id: number, query: URLSearchParams): boolean {
    const e = query.get('e');
    const s = query.get('s');
    if (!e || !s || !/^[0-9]{1,12}$/.test(e) || !/^[A-Za-z0-9_-]{43}$/.test(s)) return false;
    const expires = Number(e);
    const now = Date.now() / 1000;
    if (expires < now || expires > now + SIGNED_URL_MAX_AHEAD_S) return false;
    const expected = createHmac('sha256', mediaKey).update(signedMessage(variant, id, expires)).digest();
    return timingSafeEqual(Buffer.from(s, 'base64url'), expected);
  }

  /** Host and Origin checks: null when the request may proceed. */
  function foreignRequest(req: IncomingMessage): string | null {
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
      return `Refused a request for host "${clip(req.headers.host ?? '', 200)}": Sightline only answers to ${[...allowedHosts].join(' or ')}.`;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin.toLowerCase())) {
      return `Refused a request from origin "${clip(origin, 200)}": only pages served by this Sightline instance may call it.`;
    }
    return null;
  }

  /** The request showed a credential: it may take as long as its work needs. */
  function trusted(req: IncomingMessage): void {
    req.socket.setTimeout(0);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
    const imageMatch = /^\/(image|thumb)\/([^/]*)$/.exec(rawPath);

    const foreign = foreignRequest(req);
    if (foreign) return sendError(res, new ApiError('forbidden', foreign));

    if (rawPath === '/auth/exchange') return handleExchange(req, res);
    if (rawPath.startsWith('/api/')) {
      if (!secretMatches(bearerOf(req))) return sendError(res, new ApiError('unauthorized', `Missing or wrong access token. ${NOT_SIGNED_IN}`));
      trusted(req);
      return handleApi(req, res, rawPath.slice('/api/'.length));
    }
    if (imageMatch) return handleImage(req, res, imageMatch[1] as ImageVariant, imageMatch[2], query);
    return handleStatic(req, res, rawPath);
  }

  async function handleExchange(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return sendError(res, new ApiError('bad_request', 'Sign in with POST /auth/exchange and a JSON body {"code": …}.'), 405);
    }
    if (!isJson(req)) return sendError(res, new ApiError('bad_request', 'POST /auth/exchange needs Content-Type: application/json.'), 415);
    const body = await readBody(req, res, 4096);
    if (body === null) return;
    let code: unknown;
    try {
      code = (JSON.parse(body.toString('utf8')) as { code?: unknown })?.code;
    } catch {
      code = undefined;
    }
    const key = typeof code === 'string' && code.length <= 100 ? sha256(code) : null;
    const entry = key === null ? undefined : codes.get(key);
    if (key === null || entry === undefined) {
      return sendError(
        res,
        new ApiError(
          'unauthorized',
          'This sign-in link was already used, or is not from this server. Each URL printed by `sightline serve` signs in one tab: use the tab it signed in, or restart `sightline serve` for a new URL.',
        ),
      );
    }
    codes.delete(key);
    try {
      entry.onUse?.();
    } catch (err) {
      console.error('[sightline server] a sign-in code hook failed:', err);
    }
    sendJson(res, 200, { ok: true, result: { session: newSession(), mediaKey: mediaKey.toString('base64url'), mediaWindowS: SIGNED_URL_WINDOW_S } });
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return sendError(res, new ApiError('bad_request', `${req.method} is not allowed on /api/${clip(name, 100)}: API calls are POST with a JSON body.`), 405);
    }
    if (!isJson(req)) {
      return sendError(res, new ApiError('bad_request', `API calls need Content-Type: application/json (got "${clip(req.headers['content-type'] ?? 'none', 100)}").`), 415);
    }
    const body = await readBody(req, res, MAX_BODY_BYTES);
    if (body === null) return;
    let args: unknown;
    try {
      args = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch (err) {
      return sendError(res, new ApiError('bad_request', `The body of /api/${clip(name, 100)} is not valid JSON: ${clip((err as Error).message, 200)}`));
    }
    try {
      if (host.dispatchJson) sendJsonText(res, 200, `{"ok":true,"result":${await host.dispatchJson(name, args)}}`);
      else sendJson(res, 200, { ok: true, result: (await host.dispatch(name, args)) ?? null });
    } catch (err) {
      if (!(err instanceof ApiError)) console.error(`[sightline server] ${clip(name, 100)} failed:`, err);
      sendError(res, err);
    }
  }

  async function handleImage(req: IncomingMessage, res: ServerResponse, variant: ImageVariant, rawId: string, query: URLSearchParams): Promise<void> {
    const id = Number(rawId);
    const validId = IMAGE_ID.test(rawId) && Number.isSafeInteger(id);
    if (!secretMatches(bearerOf(req)) && !(validId && signatureValid(variant, id, query))) {
      return sendError(res, new ApiError('unauthorized', `This image link is not signed, or has expired. ${NOT_SIGNED_IN}`));
    }
    trusted(req);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendError(res, new ApiError('bad_request', `${req.method} is not allowed on /${variant}/.`), 405);
    }
    if (!validId) {
      return sendError(res, new ApiError('bad_request', `"/${variant}/${clip(rawId, 40)}" does not name an image: image ids are positive integers.`));
    }
    // A closed request (a thumbnail scrolled away) withdraws its place in the core's queue.
    const closed = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) closed.abort();
    };
    res.once('close', onClose);
    let body;
    try {
      body = await host.imageBody(id, variant, { signal: closed.signal });
    } catch (err) {
      if (isAbortError(err) || res.destroyed) return void res.destroy();
      if (!(err instanceof ApiError)) console.error(`[sightline server] ${variant} ${id} failed:`, err);
      return sendError(res, err);
    }
    const file = body.file;
    try {
      // The page may have given up on this image while it was being made (a thumbnail scrolled away).
      if (res.destroyed) return;
      const etag = /^(W\/)?"/.test(body.etag) ? body.etag : `"${body.etag}"`;
      res.setHeader('ETag', etag);
      res.setHeader('Cache-Control', 'private, max-age=3600');
      if (etagMatches(req.headers['if-none-match'], etag)) {
        res.writeHead(304);
        res.end();
        return;
      }
      if (body.buffer) {
        res.writeHead(200, { 'Content-Type': body.mime, 'Content-Length': body.buffer.length });
        res.end(req.method === 'HEAD' ? undefined : body.buffer);
        return;
      }
      if (file === undefined) throw new Error(`imageBody(${id}, ${variant}) returned neither file nor buffer`);
      await sendFile(req, res, file, body.mime);
    } finally {
      await file?.handle.close().catch(() => undefined);
    }
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendText(res, 405, `${req.method} is not allowed here.`);
    }
    const key = rendererKey(rawPath);
    if (snapshot && staticRoot !== undefined && key === 'index.html') {
      // A rebuild while the server runs: from then on every file comes from disk, never old and new mixed.
      const now = await stat(path.join(staticRoot, 'index.html')).catch(() => null);
      if (!now || rendererEtag(now.size, now.mtimeMs) !== snapshot.get('index.html')?.etag) snapshot = null;
    }
    const held = key === null ? undefined : snapshot?.get(key);
    if (held) {
      if (notModified(req, res, held.etag)) return;
      res.writeHead(200, { 'Content-Type': held.mime, 'Content-Length': held.body.byteLength });
      res.end(req.method === 'HEAD' ? undefined : held.body);
      return;
    }
    const found = staticRoot === undefined ? null : await resolveRendererFile(staticRoot, rawPath);
    if (found === null) return sendText(res, 404, staticRoot === undefined ? 'Not found: the renderer is not built (npm run build).' : 'Not found.');
    let opened;
    try {
      opened = await openRegular(found, { noFollow: true });
    } catch {
      return sendText(res, 404, 'Not found.');
    }
    const file: ImageFile = { handle: opened.handle, size: Number(opened.stat.size), path: found };
    try {
      if (notModified(req, res, rendererEtag(file.size, Number(opened.stat.mtimeNs / 1_000_000n)))) return;
      await sendFile(req, res, file, mimeOf(found));
    } finally {
      await file.handle.close().catch(() => undefined);
    }
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const rawPath = (req.url ?? '').split('?')[0];
    const refuse = (status: number, code: ErrorCode, message: string) => {
      const body = JSON.stringify({ ok: false, error: { code, message } });
      socket.end(
        `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found'}\r\n` +
          `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    const foreign = foreignRequest(req);
    if (foreign) return refuse(403, 'forbidden', foreign);
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const fromProtocol = offered.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX))?.slice(BEARER_PROTOCOL_PREFIX.length);
    if (!secretMatches(bearerOf(req) ?? fromProtocol)) return refuse(401, 'unauthorized', `Missing or wrong access token. ${NOT_SIGNED_IN}`);
    if (rawPath !== '/events') return refuse(404, 'not_found', `There is no WebSocket at ${clip(rawPath, 100)}; events are at /events.`);
    (socket as Socket).setTimeout?.(0);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const alive = new WeakMap<WebSocket, boolean>();
  wss.on('connection', (ws: WebSocket) => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    const unsubscribe = host.onEvent((event, payload) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_WS_BUFFERED) return ws.terminate();
      ws.send(JSON.stringify({ event, payload }));
    });
    ws.on('close', unsubscribe);
    ws.on('error', () => ws.terminate());
  });
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const port = address.port;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  allowedOrigins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  securityHeaders = {
    'Content-Security-Policy':
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; object-src 'none'; base-uri 'none'; ` +
      "frame-ancestors 'none'; form-action 'none'",
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
  };
  const origin = `http://127.0.0.1:${port}`;
  const launchUrl = (o: { onUse?: () => void } = {}) => `${origin}/#code=${mintCode(o.onUse)}`;

  let closing: Promise<void> | undefined;
  return {
    get url() {
      return launchUrl();
    },
    launchUrl,
    origin,
    port,
    token,
    address,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        for (const entry of codes.values()) entry.onUse?.();
        codes.clear();
        sessions.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function isJson(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === 'application/json';
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A renderer file's validators: revalidated every time (a rebuilt renderer must never mix with a cached older one),
 * answered 304 when the browser holds this version. True when that answer was sent.
 */
function notModified(req: IncomingMessage, res: ServerResponse, etag: string): boolean {
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('ETag', etag);
  if (!etagMatches(req.headers['if-none-match'], etag)) return false;
  res.writeHead(304);
  res.end();
  return true;
}

function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const weak = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || weak(t) === weak(etag));
}

/**
 * Reads the whole body, or answers 413 and returns null once it passes `limit`: at once when Content-Length says so,
 * before a byte is read. The connection is then closed, but the rest of the body is read for a moment first (up to
 * DRAIN_AFTER_413_BYTES), so the client, still sending, reads the 413 instead of a connection reset.
 */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer | null> {
  const tooLarge = () => {
    res.setHeader('Connection', 'close');
    sendError(res, new ApiError('bad_request', `The request is larger than ${limit >= 1024 * 1024 ? `${limit / 1024 / 1024} MiB` : `${limit} bytes`}; send it in smaller batches.`), 413);
    let drained = 0;
    const stop = setTimeout(() => req.socket.destroy(), DRAIN_AFTER_413_MS);
    stop.unref();
    req.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > DRAIN_AFTER_413_BYTES) req.socket.destroy();
    });
    req.socket.once('close', () => clearTimeout(stop));
    req.resume();
  };
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      tooLarge();
      return resolve(null);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.off('end', onEnd);
      chunks.length = 0;
      tooLarge();
      resolve(null);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

/** Streams bytes 0 … size-1 of an open file; the caller closes the handle. A client that goes away ends it quietly. */
async function sendFile(req: IncomingMessage, res: ServerResponse, file: ImageFile, mime: string): Promise<void> {
  if (res.destroyed) return;
  res.writeHead(200, { 'Content-Type': mime, 'Content-Length': file.size });
  if (req.method === 'HEAD' || file.size === 0) {
    res.end();
    return;
  }
  try {
    await pipeline(file.handle.createReadStream({ start: 0, end: file.size - 1, autoClose: false }), res);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ERR_STREAM_PREMATURE_CLOSE' && code !== 'ECONNRESET' && code !== 'EPIPE') console.error(`[sightline server] sending ${file.path} failed:`, err);
    res.destroy();
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonText(res, status, JSON.stringify(body));
}

function sendJsonText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown, status?: number): void {
  let body: ErrorBody =
    err instanceof ApiError ? err.toBody() : { code: 'internal', message: 'Sightline hit an unexpected error; details are in the server log.' };
  if (Buffer.byteLength(JSON.stringify(body)) > MAX_ERROR_BYTES) body = { code: body.code, message: clip(body.message, 4096) };
  sendJson(res, status ?? httpStatusFor(body.code), { ok: false, error: body });
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}
