/** Content policy of the window: what it may load and which links may leave the app. Pure, unit-tested. */

const BASE_CSP = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:', 'sightline-image:'],
  // The grid fetches thumbnails (so that a cell scrolled away can cancel its request): fetch needs connect-src.
  'connect-src': ["'self'", 'sightline-image:'],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * The Content-Security-Policy of the window. With a dev server, Vite needs its HMR socket and the inline React
 * refresh preamble; the packaged app never gets those.
 */
export function contentSecurityPolicy(devServerOrigin?: string): string {
  const csp: Record<string, string[]> = { ...BASE_CSP };
  if (devServerOrigin) {
    const dev = new URL(devServerOrigin);
    const ws = `${dev.protocol === 'https:' ? 'wss:' : 'ws:'}//${dev.host}`;
    csp['script-src'] = [...csp['script-src'], "'unsafe-inline'"];
    csp['connect-src'] = [...csp['connect-src'], ws];
  }
  return Object.entries(csp)
    .map(([k, v]) => `${k} ${v.join(' ')}`)
    .join('; ');
}

/** Links the app may hand to the OS browser: plain http(s) with a host and no credentials. */
export function isSafeExternalUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.hostname !== '' && parsed.username === '' && parsed.password === '';
}
