/**
 * Thumbnails for the grid, fetched through one queue (issue 12). An <img src> cannot be taken back: the requests of
 * cells already scrolled past stay queued in Chromium, first come first served, ahead of the cells on screen. Here a
 * cell asks when it mounts and withdraws when it unmounts: a request still queued is dropped, one in flight is
 * aborted (the server then drops it from its own queue). What was scrolled to last goes first, the cells in view
 * before the rows of overscan, and in reading order among them.
 */
import { WorkQueue } from '../../../common/workQueue.js';
import { api } from '../../api.js';

/**
 * Browser mode speaks HTTP/1.1 and Chromium opens 6 connections per server: leave two for the grid's page fetches.
 * Electron's image scheme has no such limit, but the core decodes only as many at once as it has cores.
 */
const CONCURRENCY = api.transport === 'http' ? 4 : 8;

const queue = new WorkQueue({ concurrency: CONCURRENCY, newestFirst: false, abortAbandoned: true });

let wave = 0;
let waveOpen = false;

/** Cells mounted in one React commit share a wave; a later wave (the place scrolled to since) goes first. */
function currentWave(): number {
  if (!waveOpen) {
    waveOpen = true;
    wave++;
    queueMicrotask(() => (waveOpen = false));
  }
  return wave;
}

/** A thumbnail the server could not make: what a cell says, and the server's reason for its tooltip. */
export class ThumbnailError extends Error {
  constructor(
    readonly label: string,
    message: string,
  ) {
    super(message);
  }
}

/** By HTTP status, which both transports share (the image scheme answers in plain text, the server in JSON). */
const LABELS: Record<number, string> = { 400: 'Cannot be read', 404: 'File not found', 409: 'Changed on disk' };

async function failure(res: Response): Promise<ThumbnailError> {
  const text = await res.text().catch(() => '');
  let message = text.trim();
  try {
    const parsed = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof parsed === 'string') message = parsed;
  } catch {
    // plain text
  }
  return new ThumbnailError(LABELS[res.status] ?? 'No preview', message || `HTTP ${res.status}`);
}

/** How many of the thumbnails loaded last are kept (about 10 KB each) for `recentThumbnail`. */
const RECENT = 300;
/** A thumbnail the grid loaded: its URL and bytes, and the size of the image it stands for (the grid's row). */
export interface RecentThumbnail {
  url: string;
  blob: Blob;
  width: number;
  height: number;
}
const recent = new Map<number, RecentThumbnail>();

/**
 * The thumbnail the grid loaded last for image `id`, or null: the viewer shows it while the image opens from the
 * grid, without asking the server again and before the image's row has come back.
 */
export function recentThumbnail(id: number): RecentThumbnail | null {
  return recent.get(id) ?? null;
}

/** The thumbnail's bytes; rejects with an AbortError once `signal` aborts, or a ThumbnailError. */
export function loadThumbnail(
  url: string,
  { visible, signal, image }: { visible: boolean; signal: AbortSignal; /** kept for recentThumbnail */ image?: { id: number; width: number; height: number } },
): Promise<Blob> {
  const priority = currentWave() * 2 + (visible ? 1 : 0);
  return queue.run(
    url,
    async (stop) => {
      const res = await fetch(url, { signal: stop });
      if (!res.ok) throw await failure(res);
      const blob = await res.blob();
      if (image) {
        recent.delete(image.id);
        recent.set(image.id, { url, blob, width: image.width, height: image.height });
        if (recent.size > RECENT) recent.delete(recent.keys().next().value!);
      }
      return blob;
    },
    { priority, signal },
  );
}
