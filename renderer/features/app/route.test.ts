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
    expect(parseRoute('#/evaluation')).toEqual({ name: 'evaluation' });
    expect(parseRoute('#/evaluation?run=3&compare=5&type=segm')).toEqual({ name: 'evaluation', run: 3, compare: 5, type: 'segm' });
  });

  it('drops evaluation parameters that are not ids or known types', () => {
    expect(parseRoute('#/evaluation?run=0&compare=x&type=nope')).toEqual({ name: 'evaluation' });
    expect(parseRoute('#/evaluation?run=-2&type=auto')).toEqual({ name: 'evaluation' });
    expect(parseRoute('#/evaluation?run=99999999999999999999')).toEqual({ name: 'evaluation' });
    expect(parseRoute('#/evaluationx')).toEqual({ name: 'home' });
  });

  it('sends anything unknown or malformed home', () => {
    for (const h of ['#/image/0', '#/image/-1', '#/image/abc', '#/image/99999999999999999999', '#/nope']) {
      expect(parseRoute(h)).toEqual({ name: 'home' });
    }
  });

  it('round-trips', () => {
    for (const r of [
      { name: 'home' },
      { name: 'library' },
      { name: 'models' },
      { name: 'image', id: 7 },
      { name: 'evaluation' },
      { name: 'evaluation', run: 2 },
      { name: 'evaluation', run: 2, compare: 9, type: 'keypoints' },
    ] as const) {
      expect(parseRoute(routeHash(r))).toEqual(r);
    }
  });
});
