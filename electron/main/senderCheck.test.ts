import { describe, expect, it } from 'vitest';
import { isAppUrl, senderRefusal, type RendererLocation } from './senderCheck.js';

const app: RendererLocation = { kind: 'app' };
const dev: RendererLocation = { kind: 'dev', origin: 'http://localhost:5173' };
const trusted = { fromMainWindow: true, isTopFrame: true };

describe('isAppUrl', () => {
  it('accepts pages of the app scheme, with query and hash', () => {
    expect(isAppUrl('sightline-app://app/index.html', app)).toBe(true);
    expect(isAppUrl('sightline-app://app/index.html?x=1#/library', app)).toBe(true);
    expect(isAppUrl('sightline-app://APP/assets/a.js', app)).toBe(true);
  });

  it('refuses file:// (the renderer is no longer loaded from files), other hosts and look-alikes', () => {
    expect(isAppUrl('file:///opt/Sightline/resources/app.asar/out/renderer/index.html', app)).toBe(false);
    expect(isAppUrl('file:///etc/passwd', app)).toBe(false);
    expect(isAppUrl('sightline-app://evil/index.html', app)).toBe(false);
    expect(isAppUrl('sightline-app://app.evil/index.html', app)).toBe(false);
    expect(isAppUrl('sightline-app://user@app/index.html', app)).toBe(false);
    expect(isAppUrl('sightline-app://app:8080/index.html', app)).toBe(false);
    expect(isAppUrl('sightline-image://app/index.html', app)).toBe(false);
  });

  it('refuses other schemes and garbage in app mode', () => {
    expect(isAppUrl('http://localhost:5173/', app)).toBe(false);
    expect(isAppUrl('about:blank', app)).toBe(false);
    expect(isAppUrl('data:text/html,hi', app)).toBe(false);
    expect(isAppUrl('not a url', app)).toBe(false);
    expect(isAppUrl('', app)).toBe(false);
    expect(isAppUrl(null, app)).toBe(false);
    expect(isAppUrl(undefined, app)).toBe(false);
  });

  it('accepts only the exact dev server origin in dev mode', () => {
    expect(isAppUrl('http://localhost:5173/', dev)).toBe(true);
    expect(isAppUrl('http://localhost:5173/src/main.tsx?t=1', dev)).toBe(true);
    expect(isAppUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isAppUrl('https://localhost:5173/', dev)).toBe(false);
    expect(isAppUrl('http://localhost.evil.com:5173/', dev)).toBe(false);
    expect(isAppUrl('http://evil.com/?http://localhost:5173/', dev)).toBe(false);
    expect(isAppUrl('sightline-app://app/index.html', dev)).toBe(false);
  });
});

describe('senderRefusal', () => {
  it('lets the main window top frame on an app page through', () => {
    expect(senderRefusal({ ...trusted, url: 'sightline-app://app/index.html' }, app)).toBeNull();
    expect(senderRefusal({ ...trusted, url: 'http://localhost:5173/' }, dev)).toBeNull();
  });

  it('refuses other windows, subframes and foreign pages with forbidden', () => {
    const url = 'sightline-app://app/index.html';
    for (const facts of [
      { fromMainWindow: false, isTopFrame: true, url },
      { fromMainWindow: true, isTopFrame: false, url },
      { ...trusted, url: 'https://evil.example/' },
      { ...trusted, url: null },
    ]) {
      const err = senderRefusal(facts, app);
      expect(err?.code).toBe('forbidden');
    }
  });
});
