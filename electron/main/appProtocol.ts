/**
 * The `sightline-app:` scheme: the packaged renderer at `sightline-app://app/…`, instead of file:// (issue 11). A
 * file:// page shares its origin with every other local file and, unless the GrantFileProtocolExtraPrivileges fuse
 * is off, gets privileges a web page does not; a privileged standard scheme gives the renderer an origin of its own
 * that serves only the built renderer's files. Web Request/Response only, so it runs (and is tested) under Node.
 */
import { realpath } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { openRegular } from '../core/library/safeOpen.js';
import { mimeOf, resolveRendererFile } from '../core/rendererFiles.js';
import { APP_HOST, APP_ORIGIN, APP_SCHEME } from './senderCheck.js';

/** The privileges registered before `ready`: like https (relative URLs, a secure context, fetch), with a code cache. */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, codeCache: true } as const;

export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

function text(status: number, message: string): Response {
  return new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

/** Serves files of `dir` (the built renderer) on `sightline-app://app/…`; anything else is 404. */
export function createAppHandler(dir: string, csp: string): (request: Request) => Promise<Response> {
  let root: Promise<string> | null = null;
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, `${request.method} is not allowed.`);
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return text(400, 'Not a URL.');
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host.toLowerCase() !== APP_HOST || url.username || url.password) return text(404, 'Not found.');
    root ??= realpath(dir);
    const file = await resolveRendererFile(await root, url.pathname).catch(() => null);
    if (file === null) return text(404, 'Not found.');
    let opened;
    try {
      opened = await openRegular(file, { noFollow: true });
    } catch {
      return text(404, 'Not found.');
    }
    const size = Number(opened.stat.size);
    const headers = {
      'Content-Type': mimeOf(file),
      'Content-Length': String(size),
      // Set here as well as by the session's header hook, so the policy holds however the response is delivered.
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    };
    if (request.method === 'HEAD' || size === 0) {
      await opened.handle.close();
      return new Response(null, { status: 200, headers });
    }
    const stream = Readable.toWeb(opened.handle.createReadStream({ start: 0, end: size - 1, autoClose: true })) as unknown as ReadableStream<Uint8Array>;
    return new Response(stream, { status: 200, headers });
  };
}
