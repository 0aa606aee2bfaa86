import { describe, expect, it } from 'vitest';
import { panBy, zoomAt, type Viewport } from './viewport.js';
import { sameViewport, ViewportLink, type LinkedViewer } from './viewportLink.js';

/** A viewer as ImageViewer joins: following draws, and drawing reports back to the link (the echo to guard against). */
interface TestViewer extends LinkedViewer {
  vp: Viewport;
  fitted: boolean;
  follows: number;
  move(vp: Viewport): void;
}

function viewer(link: ViewportLink, start: Viewport = { scale: 1, x: 0, y: 0 }): TestViewer {
  const v: TestViewer = {
    vp: start,
    fitted: true,
    follows: 0,
    viewport: () => v.vp,
    follow(vp: Viewport, fitted: boolean) {
      v.follows++;
      v.vp = vp;
      v.fitted = fitted;
      link.moved(v, vp, fitted);
    },
    /** The person pans or zooms this one. */
    move(vp: Viewport) {
      v.vp = vp;
      v.fitted = false;
      link.moved(v, vp, false);
    },
  };
  link.join(v);
  return v;
}

describe('sameViewport', () => {
  it('ignores float noise, not a real move', () => {
    const a = { scale: 0.75, x: 12.5, y: -3 };
    expect(sameViewport(a, { ...a })).toBe(true);
    expect(sameViewport(a, { scale: 0.75 * (1 + 1e-12), x: 12.5 + 1e-9, y: -3 })).toBe(true);
    expect(sameViewport(a, { ...a, x: 12.6 })).toBe(false);
    expect(sameViewport(a, { ...a, scale: 0.76 })).toBe(false);
  });
});

describe('ViewportLink', () => {
  it('a pan or zoom on either side moves the other identically, once (no echo)', () => {
    const link = new ViewportLink();
    const left = viewer(link);
    const right = viewer(link);
    const zoomed = zoomAt(right.vp, 1.1, { x: 200, y: 150 });
    right.move(zoomed);
    expect(left.vp).toEqual(zoomed);
    expect(left.fitted).toBe(false);
    expect([left.follows, right.follows]).toEqual([1, 0]);

    const panned = panBy(left.vp, 30, -12);
    left.move(panned);
    expect(right.vp).toEqual(panned);
    expect([left.follows, right.follows]).toEqual([1, 1]);
  });

  it('a member already showing the viewport is left alone; a fit carries its "fitted"', () => {
    const link = new ViewportLink();
    const a = viewer(link);
    const b = viewer(link);
    link.moved(a, { scale: 1, x: 0, y: 0 }, true);
    expect(b.follows).toBe(0);
    link.moved(a, { scale: 0.5, x: 10, y: 20 }, true);
    expect(b).toMatchObject({ vp: { scale: 0.5, x: 10, y: 20 }, fitted: true, follows: 1 });
  });

  it('remembers the last viewport for a viewer that joins later; one that leaves no longer follows', () => {
    const link = new ViewportLink();
    const a = viewer(link);
    a.move({ scale: 2, x: -100, y: -50 });
    expect(link.current).toEqual({ vp: { scale: 2, x: -100, y: -50 }, fitted: false });
    const b: LinkedViewer & { vp: Viewport } = { vp: { scale: 1, x: 0, y: 0 }, viewport: () => b.vp, follow: (vp) => void (b.vp = vp) };
    const leave = link.join(b);
    expect(link.size).toBe(2);
    a.move({ scale: 3, x: 0, y: 0 });
    expect(b.vp.scale).toBe(3);
    leave();
    a.move({ scale: 4, x: 0, y: 0 });
    expect(b.vp.scale).toBe(3);
  });
});
