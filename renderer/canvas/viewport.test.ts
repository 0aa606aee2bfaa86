import { describe, expect, it } from 'vitest';
import {
  MAX_SCALE,
  MIN_SCALE,
  actualSize,
  fitViewport,
  formatZoom,
  imageToScreen,
  panBy,
  screenToImage,
  wheelZoomFactor,
  zoomAt,
  zoomTo,
  type Viewport,
} from './viewport.js';

const close = (a: { x: number; y: number }, b: { x: number; y: number }) => {
  expect(a.x).toBeCloseTo(b.x, 9);
  expect(a.y).toBeCloseTo(b.y, 9);
};

describe('viewport', () => {
  const vp: Viewport = { scale: 2, x: 30, y: -40 };

  it('maps screen to image and back', () => {
    expect(screenToImage(vp, { x: 50, y: 0 })).toEqual({ x: 10, y: 20 });
    expect(imageToScreen(vp, { x: 10, y: 20 })).toEqual({ x: 50, y: 0 });
    close(imageToScreen(vp, screenToImage(vp, { x: 123.4, y: 567.8 })), { x: 123.4, y: 567.8 });
  });

  it('keeps the image point under the cursor while zooming', () => {
    const cursor = { x: 317, y: 211 };
    const before = screenToImage(vp, cursor);
    for (const factor of [1.1, 1 / 1.1, 3.7, 0.01]) {
      const next = zoomAt(vp, factor, cursor);
      expect(next.scale).toBeCloseTo(vp.scale * factor, 9);
      close(screenToImage(next, cursor), before);
    }
  });

  it('clamps the scale to 1/64 … 64 and still keeps the anchor fixed', () => {
    const cursor = { x: 100, y: 50 };
    const before = screenToImage(vp, cursor);
    const huge = zoomAt(vp, 1e6, cursor);
    expect(huge.scale).toBe(MAX_SCALE);
    close(screenToImage(huge, cursor), before);
    const tiny = zoomTo(vp, 1e-9, cursor);
    expect(tiny.scale).toBe(MIN_SCALE);
    close(screenToImage(tiny, cursor), before);
  });

  it('zooms about 1.1x per wheel notch, in the direction of the wheel', () => {
    expect(wheelZoomFactor(-100)).toBeCloseTo(1.1, 9);
    expect(wheelZoomFactor(100)).toBeCloseTo(1 / 1.1, 9);
    expect(wheelZoomFactor(-3, 1)).toBeCloseTo(1.1, 9);
    expect(wheelZoomFactor(-10)).toBeGreaterThan(1);
    expect(wheelZoomFactor(-10)).toBeLessThan(1.1);
  });

  it('fits the whole image, centred, within the padding', () => {
    const fit = fitViewport({ width: 4000, height: 1000 }, { width: 832, height: 632 }, 16);
    expect(fit.scale).toBeCloseTo(0.2, 9);
    close(imageToScreen(fit, { x: 0, y: 0 }), { x: 16, y: (632 - 200) / 2 });
    close(imageToScreen(fit, { x: 4000, y: 1000 }), { x: 816, y: (632 + 200) / 2 });

    const tall = fitViewport({ width: 10, height: 100 }, { width: 500, height: 232 }, 16);
    expect(tall.scale).toBeCloseTo(2, 9);
    close(imageToScreen(tall, { x: 5, y: 50 }), { x: 250, y: 116 });
  });

  it('fit clamps for images too small or too big for the zoom range', () => {
    expect(fitViewport({ width: 1, height: 1 }, { width: 1000, height: 1000 }).scale).toBe(MAX_SCALE);
    expect(fitViewport({ width: 1e6, height: 1e6 }, { width: 100, height: 100 }).scale).toBe(MIN_SCALE);
  });

  it('1:1 shows one image pixel per screen pixel around the view centre', () => {
    const view = { width: 800, height: 600 };
    const centre = { x: 400, y: 300 };
    const before = screenToImage(vp, centre);
    const one = actualSize(vp, view);
    expect(one.scale).toBe(1);
    close(screenToImage(one, centre), before);
  });

  it('pans in screen pixels without changing the scale', () => {
    expect(panBy(vp, 5, -7)).toEqual({ scale: 2, x: 35, y: -47 });
  });

  it('formats the zoom label', () => {
    expect(formatZoom(1)).toBe('100%');
    expect(formatZoom(64)).toBe('6400%');
    expect(formatZoom(0.125)).toBe('12.5%');
    expect(formatZoom(1 / 64)).toBe('1.56%');
  });
});
