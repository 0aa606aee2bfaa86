import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, hmacSha256, sha256, signedMessage, signImagePath, SIGNED_URL_WINDOW_S, toBase64Url } from './signing.js';

describe('the page-side signing of image URLs', () => {
  it('computes SHA-256 and HMAC-SHA256 as node:crypto does, across block boundaries', () => {
    for (const n of [0, 1, 3, 55, 56, 63, 64, 65, 119, 128, 1000]) {
      const data = randomBytes(n);
      expect(Buffer.from(sha256(data)).toString('hex'), `sha256 of ${n} bytes`).toBe(createHash('sha256').update(data).digest('hex'));
      for (const keyLength of [0, 16, 32, 64, 65, 200]) {
        const key = randomBytes(keyLength);
        expect(Buffer.from(hmacSha256(key, data)).toString('hex')).toBe(createHmac('sha256', key).update(data).digest('hex'));
      }
    }
  });

  it('encodes and decodes base64url as Buffer does', () => {
    for (const n of [0, 1, 2, 3, 4, 31, 32, 33]) {
      const bytes = randomBytes(n);
      expect(toBase64Url(bytes)).toBe(bytes.toString('base64url'));
      expect(Buffer.from(fromBase64Url(bytes.toString('base64url'))).equals(bytes)).toBe(true);
    }
    expect(() => fromBase64Url('a+b/')).toThrow();
  });

  it('signs route, id and an expiry at the end of the next window, stable within a window', () => {
    const key = randomBytes(32);
    const now = 1_700_000_123_456;
    const q = new URLSearchParams(signImagePath(key, 'thumb', 42, now));
    const expires = Number(q.get('e'));
    expect(expires % SIGNED_URL_WINDOW_S).toBe(0);
    expect(expires - now / 1000).toBeGreaterThan(SIGNED_URL_WINDOW_S);
    expect(expires - now / 1000).toBeLessThanOrEqual(2 * SIGNED_URL_WINDOW_S);
    expect(q.get('s')).toBe(createHmac('sha256', key).update(signedMessage('thumb', 42, expires)).digest('base64url'));
    expect(signImagePath(key, 'thumb', 42, now + 1000)).toBe(signImagePath(key, 'thumb', 42, now));
    expect(signImagePath(key, 'image', 42, now)).not.toBe(signImagePath(key, 'thumb', 42, now));
  });
});
