import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, isSafeExternalUrl } from './policy.js';

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split('; ').map((d) => { const [k, ...v] = d.split(' '); return [k, v]; }));
}

describe('contentSecurityPolicy', () => {
  it('is the strict policy when packaged', () => {
    expect(contentSecurityPolicy()).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: sightline-image:; " +
        "connect-src 'self' sightline-image:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    );
  });

  it('lets the dev server in for HMR without loosening anything else', () => {
    const d = directives(contentSecurityPolicy('http://localhost:5173'));
    expect(d.get('connect-src')).toEqual(["'self'", 'sightline-image:', 'ws://localhost:5173']);
    expect(d.get('script-src')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    // The strict policy is not mutated by a dev call.
    expect(directives(contentSecurityPolicy()).get('script-src')).toEqual(["'self'"]);
  });
});

describe('isSafeExternalUrl', () => {
  it('allows plain http(s) links', () => {
    expect(isSafeExternalUrl('https://github.com/sightline')).toBe(true);
    expect(isSafeExternalUrl('http://example.com/a?b#c')).toBe(true);
  });

  it('refuses everything the OS could execute or that hides its target', () => {
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-settings:', 'sightline-image://image/1', 'https://user:pw@example.com/', 'not a url', 'https://']) {
      expect(isSafeExternalUrl(url), url).toBe(false);
    }
  });
});
