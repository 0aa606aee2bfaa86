/**
 * Who may talk to the core over IPC, and which URLs are the app's own. Pure, so it is unit-tested without Electron;
 * ipc.ts gathers the facts from the IPC event.
 */
import { ApiError } from '../../common/api/contract.js';

/** The scheme the packaged renderer is served from (not file://: issue 11), and its one origin. */
export const APP_SCHEME = 'sightline-app';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** Where the renderer comes from: the built files on the app scheme or, in development, the Vite dev server. */
export type RendererLocation = { kind: 'app' } | { kind: 'dev'; origin: string };

/** True when `url` is a page of our renderer: on the app scheme's one host, or a page of the dev server. */
export function isAppUrl(url: string | null | undefined, loc: RendererLocation): boolean {
  if (!url) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (loc.kind === 'dev') return parsed.origin !== 'null' && parsed.origin === new URL(loc.origin).origin;
  // A custom scheme has an opaque origin in Node's URL, so compare its parts; Chromium lowercases a standard host.
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host.toLowerCase() === APP_HOST && parsed.username === '' && parsed.password === '' && parsed.port === '';
}

/** What the router knows about an IPC message's sender. */
export interface SenderFacts {
  /** The message came from the main window's webContents. */
  fromMainWindow: boolean;
  /** The sending frame is that webContents' top frame (not an iframe); false when the frame is gone. */
  isTopFrame: boolean;
  /** The sending frame's current URL. */
  url: string | null | undefined;
}

/** null when the sender may call the core, else the error to answer with. */
export function senderRefusal(facts: SenderFacts, loc: RendererLocation): ApiError | null {
  if (!facts.fromMainWindow) return new ApiError('forbidden', 'Refused an API call from a window that is not the Sightline main window.');
  if (!facts.isTopFrame) return new ApiError('forbidden', 'Refused an API call from a frame that is not the Sightline page itself.');
  if (!isAppUrl(facts.url, loc)) return new ApiError('forbidden', `Refused an API call from a page outside Sightline (${facts.url || 'unknown URL'}).`);
  return null;
}
