/**
 * The `sightline-image:` scheme: `sightline-image://image/<id>` and `sightline-image://thumb/<id>`. The renderer names
 * an image by id only; the core resolves the id to a file inside the project's roots. The handler uses web
 * Request/Response only, so it runs (and is tested) under plain Node.
 */
import { Readable } from 'node:stream';
import { ApiError, httpStatusFor } from '../../common/api/contract.js';
import { isAbortError } from '../../common/workQueue.js';
import type { CoreHost, ImageVariant } from '../core/host.js';
import { IMAGE_SCHEME } from '../preload/channels.js';

const IMAGE_ID = /^[1-9][0-9]{0,15}$/;

export type ImageUrl = { ok: true; variant: ImageVariant; id: number } | { ok: false; status: 400 | 404; message: string };

export function parseImageUrl(raw: string): ImageUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, status: 400, message: 'Not a URL.' };
  }
  // Chromium lowercases the host of a standard scheme; plain Node keeps it as written.
  const host = url.host.toLowerCase();
  if (url.protocol !== `${IMAGE_SCHEME}:` || url.username || url.password || (host !== 'image' && host !== 'thumb')) {
    return { ok: false, status: 404, message: `${raw} is not an image URL: use ${IMAGE_SCHEME}://image/<id> or ${IMAGE_SCHEME}://thumb/<id>.` };
  }
  const rawId = url.pathname.slice(1);
  const id = Number(rawId);
  if (!url.pathname.startsWith('/') || !IMAGE_ID.test(rawId) || !Number.isSafeInteger(id)) {
    return { ok: false, status: 400, message: `"${rawId}" is not an image id: image ids are positive integers.` };
  }
  return { ok: true, variant: host, id };
}

function textResponse(status: number, message: string, headers: Record<string, string> = {}): Response {
  // Readable by the grid's fetch (a cross-origin request from app://), so a cell can say why it has no thumbnail.
  return new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Access-Control-Allow-Origin': '*', ...headers } });
}

export function createImageHandler(core: Pick<CoreHost, 'imageBody'>): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, `${request.method} is not allowed.`, { Allow: 'GET, HEAD' });
    const target = parseImageUrl(request.url);
    if (!target.ok) return textResponse(target.status, target.message);
    try {
      // Aborts when the renderer cancels the load, so a thumbnail scrolled away while queued is never made.
      const body = await core.imageBody(target.id, target.variant, { signal: request.signal });
      const headers: Record<string, string> = {
        'Content-Type': body.mime,
        ETag: /^(W\/)?"/.test(body.etag) ? body.etag : `"${body.etag}"`,
        // Local and cheap to re-read; a stale image after an edit would cost more than the read.
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        // Lets the canvas read pixels from <img crossorigin>; only pages inside this app can reach the scheme.
        'Access-Control-Allow-Origin': '*',
      };
      if (body.buffer) {
        headers['Content-Length'] = String(body.buffer.length);
        return new Response(request.method === 'HEAD' ? null : new Uint8Array(body.buffer), { status: 200, headers });
      }
      const file = body.file;
      if (file === undefined) throw new Error(`imageBody(${target.id}, ${target.variant}) returned neither file nor buffer`);
      // The checked handle from the core: sent from byte 0 up to its size, never reopened by path.
      headers['Content-Length'] = String(file.size);
      if (request.method === 'HEAD' || file.size === 0) {
        await file.handle.close();
        return new Response(null, { status: 200, headers });
      }
      // The stream closes the handle when it ends or is cancelled (a cancelled <img> load).
      const stream = Readable.toWeb(file.handle.createReadStream({ start: 0, end: file.size - 1, autoClose: true })) as unknown as ReadableStream<Uint8Array>;
      return new Response(stream, { status: 200, headers });
    } catch (err) {
      if (isAbortError(err)) return textResponse(499, 'The request was cancelled.');
      if (err instanceof ApiError) return textResponse(httpStatusFor(err.code), err.message);
      console.error(`[sightline] ${target.variant} ${target.id} failed:`, err);
      return textResponse(500, 'Sightline could not load this image; details are in the log.');
    }
  };
}
