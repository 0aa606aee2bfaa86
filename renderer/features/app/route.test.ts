import { describe, expect, it } from 'vitest';
import { parseRoute, routeHash } from './route.js';

describe('hash routes', () => {
  it('parses the screens and the unnamed start', () => {
    expect(parseRoute('')).toEqual({ name: 'start' });
    expect(parseRoute('#')).toEqual({ name: 'start' });
    expect(parseRoute('#/')).toEqual({ name: 'home' });
    expect(parseRoute('#/library')).toEqual({ name: 'library' });
    expect(parseRoute('#/models')).toEqual({ name: 'models' });
    expect(parseRoute('#/image/42')).toEqual({ name: 'image', id: 42 });
  });

  it('sends anything unknown or malformed home', () => {
    for (const h of ['#/image/0', '#/image/-1', '#/image/abc', '#/image/99999999999999999999', '#/nope']) {
      expect(parseRoute(h)).toEqual({ name: 'home' });
    }
  });

  it('round-trips', () => {
    for (const r of [{ name: 'home' }, { name: 'library' }, { name: 'models' }, { name: 'image', id: 7 }] as const) {
      expect(parseRoute(routeHash(r))).toEqual(r);
    }
  });
});
