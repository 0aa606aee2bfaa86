import { describe, expect, it } from 'vitest';
import { attentionToBytes, decodeBase64, gridCellRect, heatmapRgba, inputRectForPolicy, inputRectInImage, peakIndex, turboLut } from './heatmap.js';

describe('placement', () => {
  it('maps a stretched model input onto the whole image', () => {
    // 640×480 image stretched to 224×224: input = image * scale.
    const t = { inputWidth: 224, inputHeight: 224, scaleX: 224 / 640, scaleY: 224 / 480, padX: 0, padY: 0 };
    const r = inputRectInImage(t);
    expect(r.x).toBeCloseTo(0, 9);
    expect(r.y).toBeCloseTo(0, 9);
    expect(r.width).toBeCloseTo(640, 9);
    expect(r.height).toBeCloseTo(480, 9);
  });

  it('maps a letterboxed input to a rect reaching into the padding', () => {
    // 800×400 letterboxed into 640×640: scale 0.8, 160 px of padding above and below.
    const r = inputRectInImage({ inputWidth: 640, inputHeight: 640, scaleX: 0.8, scaleY: 0.8, padX: 0, padY: 160 });
    expect(r).toEqual({ x: 0, y: -200, width: 800, height: 800 });
  });

  it('plans the encoder input as the runtime does: stretched covers the image, letterboxed reaches into the padding', () => {
    expect(inputRectForPolicy({ resize: 'stretch', width: 128, height: 128 }, 300, 200)).toEqual({ x: 0, y: 0, width: 300, height: 200 });
    // 300×200 into 128×128: scale 128/300, content 128×85, 21 rows of padding above; back in image pixels the input
    // spans 300 wide and 128·300/128 = 300 high, starting 21·300/128 ≈ 49.2 px above the image.
    const r = inputRectForPolicy({ resize: 'letterbox', width: 128, height: 128 }, 300, 200);
    expect(r.x).toBeCloseTo(0, 9);
    expect(r.width).toBeCloseTo(300, 9);
    expect(r.y).toBeCloseTo(-21 / (85 / 200), 6);
    expect(r.height).toBeCloseTo(128 / (85 / 200), 6);
    // No usable policy: the whole image.
    expect(inputRectForPolicy(undefined, 300, 200)).toEqual({ x: 0, y: 0, width: 300, height: 200 });
    expect(inputRectForPolicy({ resize: 'letterbox' }, 300, 200)).toEqual({ x: 0, y: 0, width: 300, height: 200 });
  });

  it('puts attention grid cells where the encoder saw them', () => {
    const image = { x: 0, y: 0, width: 300, height: 200 };
    // A 4 rows × 6 cols grid: cell (row 2, col 5) covers the bottom-right region's upper half.
    expect(gridCellRect(image, 4, 6, 2, 5)).toEqual({ x: 250, y: 100, width: 50, height: 50 });
    expect(gridCellRect(image, 4, 6, 0, 0)).toEqual({ x: 0, y: 0, width: 50, height: 50 });
    const boxed = { x: 0, y: -50, width: 300, height: 300 };
    expect(gridCellRect(boxed, 3, 3, 0, 1)).toEqual({ x: 100, y: -50, width: 100, height: 100 });
  });
});

describe('heat-map pixels', () => {
  it('decodes base64 bytes', () => {
    expect([...decodeBase64('AAGA/w==')]).toEqual([0, 1, 128, 255]);
  });

  it('finds the attention peak', () => {
    expect(peakIndex([0.1, 0.5, 0.2, 0.2])).toBe(1);
    expect(peakIndex([0.25, 0.25, 0.25, 0.25])).toBe(0);
  });

  it('stretches attention from its weakest cell (0) to its strongest (255)', () => {
    expect([...attentionToBytes([0.1, 0.2, 0.4, 0.3], 2, 2)]).toEqual([0, 85, 255, 170]);
    expect([...attentionToBytes([0.25, 0.25, 0.25, 0.25], 2, 2)]).toEqual([0, 0, 0, 0]);
    expect(() => attentionToBytes([0.5, 0.5], 2, 2)).toThrow(/2 weights, expected 2×2 = 4/);
  });

  it('colours low values blue and high values dark red, opacity rising with the value', () => {
    const lut = turboLut();
    const [r0, g0, b0] = lut.slice(30 * 3, 30 * 3 + 3);
    const [r1, g1, b1] = lut.slice(255 * 3);
    expect(b0).toBeGreaterThan(r0);
    expect(b0).toBeGreaterThan(g0);
    expect(r1).toBeGreaterThan(g1);
    expect(r1).toBeGreaterThan(b1);
    // The middle of Turbo is green-yellow.
    const mid = lut.slice(128 * 3, 128 * 3 + 3);
    expect(mid[1]).toBeGreaterThan(mid[2]);
    const px = heatmapRgba(new Uint8Array([0, 255]), 40, 190);
    expect(px[3]).toBe(40);
    expect(px[7]).toBe(190);
    expect([...px.slice(4, 7)]).toEqual([r1, g1, b1]);
  });
});
