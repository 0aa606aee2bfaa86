import { describe, expect, it } from 'vitest';
import { isAppUrl, senderRefusal, type RendererLocation } from './senderCheck.js';

const files: RendererLocation = { kind: 'file', dir: '/opt/Sightline/resources/app.asar/out/renderer' };
const dev: RendererLocation = { kind: 'dev', origin: 'http://localhost:5173' };
const trusted = { fromMainWindow: true, isTopFrame: true };

describe('isAppUrl', () => {
  it('accepts files inside the renderer directory, with query and hash', () => {
    expect(isAppUrl('file:///opt/Sightline/resources/app.asar/out/renderer/index.html', files)).toBe(true);
    expect(isAppUrl('file:///opt/Sightline/resources/app.asar/out/renderer/index.html?x=1#/library', files)).toBe(true);
    expect(isAppUrl('file:///opt/Sightline/resources/app.asar/out/renderer/assets/a.js', files)).toBe(true);
  });

  it('refuses files outside it, including through .. and look-alike prefixes', () => {
    expect(isAppUrl('file:///etc/passwd', files)).toBe(false);
    expect(isAppUrl('file:///opt/Sightline/resources/app.asar/out/renderer/../main/index.js', files)).toBe(false);
    expect(isAppUrl('file:///opt/Sightline/resources/app.asar/out/renderer%2F..%2F..%2Fsecret', files)).toBe(false);
    expect(isAppUrl('file:///opt/Sightline/resources/app.asar/out/renderer-evil/index.html', files)).toBe(false);
    expect(isAppUrl('file:///opt/Sightline/resources/app.asar/out/renderer', files)).toBe(false);
    expect(isAppUrl('file://evil-host/opt/Sightline/resources/app.asar/out/renderer/index.html', files)).toBe(false);
  });

  it('refuses other schemes and garbage in file mode', () => {
    expect(isAppUrl('http://localhost:5173/', files)).toBe(false);
    expect(isAppUrl('about:blank', files)).toBe(false);
    expect(isAppUrl('data:text/html,hi', files)).toBe(false);
    expect(isAppUrl('not a url', files)).toBe(false);
    expect(isAppUrl('', files)).toBe(false);
    expect(isAppUrl(null, files)).toBe(false);
    expect(isAppUrl(undefined, files)).toBe(false);
  });

  it('accepts only the exact dev server origin in dev mode', () => {
    expect(isAppUrl('http://localhost:5173/', dev)).toBe(true);
    expect(isAppUrl('http://localhost:5173/src/main.tsx?t=1', dev)).toBe(true);
    expect(isAppUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isAppUrl('https://localhost:5173/', dev)).toBe(false);
    expect(isAppUrl('http://localhost.evil.com:5173/', dev)).toBe(false);
    expect(isAppUrl('http://evil.com/?http://localhost:5173/', dev)).toBe(false);
    expect(isAppUrl('file:///opt/Sightline/resources/app.asar/out/renderer/index.html', dev)).toBe(false);
  });
});

describe('senderRefusal', () => {
  it('lets the main window top frame on an app page through', () => {
    expect(senderRefusal({ ...trusted, url: 'file:///opt/Sightline/resources/app.asar/out/renderer/index.html' }, files)).toBeNull();
    expect(senderRefusal({ ...trusted, url: 'http://localhost:5173/' }, dev)).toBeNull();
  });

  it('refuses other windows, subframes and foreign pages with forbidden', () => {
    const url = 'file:///opt/Sightline/resources/app.asar/out/renderer/index.html';
    for (const facts of [
      { fromMainWindow: false, isTopFrame: true, url },
      { fromMainWindow: true, isTopFrame: false, url },
      { ...trusted, url: 'https://evil.example/' },
      { ...trusted, url: null },
    ]) {
      const err = senderRefusal(facts, files);
      expect(err?.code).toBe('forbidden');
    }
  });
});
