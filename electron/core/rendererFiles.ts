/**
 * The built renderer's files by URL path, for the local server and Electron's app scheme alike: only files inside
 * the build folder, no dotfiles (hence no `..`), no escaping through symlinks.
 */
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export const MIME: Record<string, string> = {
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

export function mimeOf(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Maps a URL path to a file inside `root` (a real path), or null. `/` is index.html. */
export async function resolveRendererFile(root: string, rawPath: string): Promise<string | null> {
  const key = rendererKey(rawPath);
  if (key === null) return null;
  try {
    const file = await realpath(path.join(root, ...key.split('/')));
    if (!file.startsWith(root + path.sep)) return null;
    return (await stat(file)).isFile() ? file : null;
  } catch {
    return null;
  }
}

/** A built renderer file held in memory (see snapshotRenderer). */
export interface RendererFile {
  body: Buffer;
  mime: string;
  etag: string;
}

/** The weak ETag of a renderer file: size and mtime, in hex. */
export function rendererEtag(size: number, mtimeMs: number): string {
  return `W/"${size.toString(16)}-${Math.trunc(mtimeMs).toString(16)}"`;
}

/**
 * The build folder's regular files (no dotfiles, no symlinks), read into memory by URL path ("index.html",
 * "assets/index-….js"), or null when there are more than `maxBytes` of them. The local server answers from it with one
 * write: streamed from disk, a 450 KB script took a dozen thread-pool operations and event-loop turns, and while a
 * first open lists a large folder each turn waits behind the listing (the page's script arrived 0.8–1.3 s late).
 */
export async function snapshotRenderer(root: string, maxBytes = 32 * 1024 * 1024): Promise<Map<string, RendererFile> | null> {
  const out = new Map<string, RendererFile>();
  let total = 0;
  const walk = async (dir: string, prefix: string): Promise<boolean> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const abs = path.join(dir, entry.name);
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!(await walk(abs, rel))) return false;
      } else if (entry.isFile()) {
        const st = await lstat(abs);
        total += st.size;
        if (total > maxBytes) return false;
        const body = await readFile(abs);
        out.set(rel, { body, mime: mimeOf(abs), etag: rendererEtag(body.byteLength, st.mtimeMs) });
      }
    }
    return true;
  };
  return (await walk(root, '')) ? out : null;
}

/** The URL path's key in a snapshot ("index.html" for "/"), or null for a path resolveRendererFile would refuse. */
export function rendererKey(rawPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s.startsWith('.'))) return null;
  return segments.length === 0 ? 'index.html' : segments.join('/');
}
