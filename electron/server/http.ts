/**
 * The Sightline API over HTTP + WebSocket on 127.0.0.1, for browser mode, the CLI and e2e tests. It holds no logic
 * beyond deciding who may call: every request must come from this machine's browser (Host and Origin checks stop
 * DNS rebinding and cross-site requests) and carry the per-launch token (bearer header or HttpOnly cookie).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { open, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError, httpStatusFor, type ErrorBody, type ErrorCode } from '../../common/api/contract.js';
import type { CoreHost, ImageVariant } from '../core/host.js';

export interface ServerOptions {
  host: CoreHost;
  /** The built renderer (renderer/dist); without it only the API, images and events are served. */
  staticDir?: string;
  port?: number;
  token?: string;
}

export interface RunningServer {
  /** The address to open: http://127.0.0.1:PORT/?token=TOKEN */
  url: string;
  origin: string;
  port: number;
  token: string;
  /** Where the socket is bound (always 127.0.0.1). */
  address: AddressInfo;
  close(): Promise<void>;
}

export const TOKEN_COOKIE = 'sightline_token';
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
const HEARTBEAT_MS = 30_000;
/** A client this far behind on events is stuck; dropping it beats buffering without bound. */
const MAX_WS_BUFFERED = 16 * 1024 * 1024;
const IMAGE_ID = /^[1-9][0-9]{0,15}$/;
const NOT_A_TOKEN = 'Open Sightline with the URL printed by `sightline serve` (it carries the access token).';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { host } = opts;
  const token = opts.token ?? randomBytes(32).toString('base64url');
  // The token travels in a cookie and a URL, so it must need no escaping in either.
  if (!/^[A-Za-z0-9_-]{16,512}$/.test(token)) throw new Error('The server token must be 16 to 512 characters of A-Z, a-z, 0-9, _ or -.');
  const tokenBytes = Buffer.from(token);
  const staticRoot = opts.staticDir === undefined ? undefined : await realpath(opts.staticDir);

  // Filled in once the port is known (port 0 picks one at listen time).
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();
  let securityHeaders: Record<string, string> = {};

  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(securityHeaders)) res.setHeader(k, v);
    handle(req, res).catch((err) => {
      console.error('[sightline server] unexpected failure for', req.method, req.url, err);
      if (!res.headersSent) sendError(res, new ApiError('internal', 'Sightline hit an unexpected error; details are in the server log.'));
      else res.destroy();
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });

  function tokenMatches(candidate: string | undefined): boolean {
    if (candidate === undefined) return false;
    const bytes = Buffer.from(candidate);
    return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes);
  }

  function requestToken(req: IncomingMessage): string | undefined {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
    return readCookie(req.headers.cookie, TOKEN_COOKIE);
  }

  /** Host and Origin checks: null when the request may proceed. */
  function foreignRequest(req: IncomingMessage): string | null {
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
      return `Refused a request for host "${req.headers.host ?? ''}": Sightline only answers to ${[...allowedHosts].join(' or ')}.`;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin.toLowerCase())) {
      return `Refused a request from origin "${origin}": only pages served by this Sightline instance may call it.`;
    }
    return null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
    const isApi = rawPath.startsWith('/api/');
    const imageMatch = /^\/(image|thumb)\/([^/]*)$/.exec(rawPath);
    const isPage = !isApi && !imageMatch;

    const foreign = foreignRequest(req);
    if (foreign) return sendError(res, new ApiError('forbidden', foreign));

    if (rawPath === '/' && query.has('token') && (req.method === 'GET' || req.method === 'HEAD')) {
      if (!tokenMatches(query.get('token') ?? undefined)) return sendUnauthorized(res, true);
      // The cookie lets the page, its images and its WebSocket authenticate without script ever seeing the token.
      res.writeHead(302, {
        'Set-Cookie': `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: '/',
        'Cache-Control': 'no-store',
      });
      res.end();
      return;
    }
    if (!tokenMatches(requestToken(req))) return sendUnauthorized(res, isPage);

    if (isApi) return handleApi(req, res, rawPath.slice('/api/'.length));
    if (imageMatch) return handleImage(req, res, imageMatch[1] as ImageVariant, imageMatch[2]);
    return handleStatic(req, res, rawPath);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return sendError(res, new ApiError('bad_request', `${req.method} is not allowed on /api/${name}: API calls are POST with a JSON body.`), 405);
    }
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (mediaType !== 'application/json') {
      return sendError(res, new ApiError('bad_request', `API calls need Content-Type: application/json (got "${req.headers['content-type'] ?? 'none'}").`), 415);
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === null) {
      return sendError(res, new ApiError('bad_request', `The request to /api/${name} is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB; send it in smaller batches.`), 413);
    }
    let args: unknown;
    try {
      args = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch (err) {
      return sendError(res, new ApiError('bad_request', `The body of /api/${name} is not valid JSON: ${(err as Error).message}`));
    }
    try {
      const result = await host.dispatch(name, args);
      sendJson(res, 200, { ok: true, result: result ?? null });
    } catch (err) {
      if (!(err instanceof ApiError)) console.error(`[sightline server] ${name} failed:`, err);
      sendError(res, err);
    }
  }

  async function handleImage(req: IncomingMessage, res: ServerResponse, variant: ImageVariant, rawId: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendError(res, new ApiError('bad_request', `${req.method} is not allowed on /${variant}/.`), 405);
    }
    const id = Number(rawId);
    if (!IMAGE_ID.test(rawId) || !Number.isSafeInteger(id)) {
      return sendError(res, new ApiError('bad_request', `"/${variant}/${rawId}" does not name an image: image ids are positive integers.`));
    }
    let body;
    try {
      body = await host.imageBody(id, variant);
    } catch (err) {
      if (!(err instanceof ApiError)) console.error(`[sightline server] ${variant} ${id} failed:`, err);
      return sendError(res, err);
    }
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
    if (body.file === undefined) throw new Error(`imageBody(${id}, ${variant}) returned neither file nor buffer`);
    await sendFile(req, res, body.file, body.mime, `The file of image ${id}`);
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendText(res, 405, `${req.method} is not allowed here.`);
    }
    const file = staticRoot === undefined ? null : await resolveStatic(staticRoot, rawPath);
    if (file === null) return sendText(res, 404, 'Not found.');
    const info = await stat(file);
    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    // Revalidate every time: a rebuilt renderer must never mix with a cached older one.
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', etag);
    if (etagMatches(req.headers['if-none-match'], etag)) {
      res.writeHead(304);
      res.end();
      return;
    }
    await sendFile(req, res, file, MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream', 'A renderer file');
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
    if (!tokenMatches(requestToken(req))) return refuse(401, 'unauthorized', NOT_A_TOKEN);
    if (rawPath !== '/events') return refuse(404, 'not_found', `There is no WebSocket at ${rawPath}; events are at /events.`);
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

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    address,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const weak = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || weak(t) === weak(etag));
}

/**
 * Reads the whole body, or returns null once it passes `limit`. An oversized body is still drained rather than cut
 * off, so the client reads the 413 instead of a connection reset.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume();
      return resolve(null);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) chunks.length = 0;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Maps a URL path to a file inside `root`, or null: no dotfiles (hence no `..`), no escaping through symlinks. */
async function resolveStatic(root: string, rawPath: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s.startsWith('.'))) return null;
  if (segments.length === 0) segments.push('index.html');
  try {
    const file = await realpath(path.join(root, ...segments));
    if (!file.startsWith(root + path.sep)) return null;
    return (await stat(file)).isFile() ? file : null;
  } catch {
    return null;
  }
}

async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, mime: string, what: string): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    return sendError(
      res,
      new ApiError(
        missing ? 'not_found' : 'io',
        missing
          ? `${what} is missing: ${file}. Rescan the project or relink its folder.`
          : `${what} could not be read: ${file} (${code ?? (err as Error).message}). Check its permissions.`,
      ),
    );
  }
  const { size } = await handle.stat();
  res.writeHead(200, { 'Content-Type': mime, 'Content-Length': size });
  if (req.method === 'HEAD') {
    await handle.close();
    res.end();
    return;
  }
  const stream = handle.createReadStream();
  stream.on('error', (err) => {
    console.error(`[sightline server] reading ${file} failed:`, err);
    res.destroy();
  });
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown, status?: number): void {
  const body: ErrorBody =
    err instanceof ApiError ? err.toBody() : { code: 'internal', message: 'Sightline hit an unexpected error; details are in the server log.' };
  sendJson(res, status ?? httpStatusFor(body.code), { ok: false, error: body });
}

function sendUnauthorized(res: ServerResponse, page: boolean): void {
  if (page) return sendText(res, 401, `Sightline: access denied.\n\n${NOT_A_TOKEN}\n`);
  sendError(res, new ApiError('unauthorized', `Missing or wrong access token. ${NOT_A_TOKEN}`));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}
