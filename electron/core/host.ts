/**
 * What a transport (Electron IPC, the local HTTP server) needs from the core. Transports hold no logic of their
 * own beyond checking who is calling: they hand the raw call to `dispatch`, which validates it against
 * common/api and runs it.
 */
import type { FileHandle } from 'node:fs/promises';
import type { EventName, EventPayload } from '../../common/api/contract.js';

export type ImageVariant = 'image' | 'thumb';

/**
 * An open file to send: the image file checked to be the one that was scanned (or a cache file of ours). Send bytes
 * 0 … size-1 from the handle, never more and never by reopening `path`, and close the handle whatever happens.
 */
export interface ImageFile {
  handle: FileHandle;
  size: number;
  /** For messages and logs only. */
  path: string;
}

/** Bytes to send for an image request: an open file to stream or a buffer, with its type and a strong validator. */
export interface ImageBody {
  mime: string;
  etag: string;
  file?: ImageFile;
  buffer?: Buffer;
}

export interface CoreHost {
  /** Validate `rawArgs` against the call's schema and run it. Throws ApiError (bad_request, unknown_call, ...). */
  dispatch(name: string, rawArgs: unknown): Promise<unknown>;
  /**
   * The same call, its result as JSON text (what `dispatch` returns, serialized). A host may write some results
   * straight from what it stores (`annotations.shapes`); the HTTP server sends this text as it is.
   */
  dispatchJson?(name: string, rawArgs: unknown): Promise<string>;
  /** Subscribe to every event; returns the unsubscribe function. */
  onEvent(listener: <E extends EventName>(event: E, payload: EventPayload<E>) => void): () => void;
  /**
   * The displayable bytes of an image or its thumbnail, by id. The id is the only thing a renderer can name:
   * the core resolves it to a file inside one of the project's roots, or throws ApiError('not_found'). Pass the
   * request's abort signal: a thumbnail whose request closed while it waited is not made (it rejects AbortError).
   */
  imageBody(id: number, variant: ImageVariant, request?: { signal?: AbortSignal }): Promise<ImageBody>;
}
