import { describe, expect, it } from 'vitest';
import { decodeBmp, parseBmpHeader } from './bmp.js';
import { encodeBmp } from './test-helpers.js';

/** 5×3 (odd width, so rows carry padding) with distinct colours per pixel. */
const W = 5;
const H = 3;
function pattern(channels: 3 | 4): Buffer {
  const px = Buffer.alloc(W * H * channels);
  for (let i = 0; i < W * H; i++) px.set([i * 17, 255 - i * 13, (i * 40) % 256, 40 + i * 10].slice(0, channels), i * channels);
  return px;
}

describe('BMP', () => {
  it('decodes 24-bit bottom-up rows with padding', () => {
    const src = pattern(3);
    const img = decodeBmp(encodeBmp(src, W, H, { bits: 24 }));
    expect(img).toMatchObject({ width: W, height: H, channels: 3 });
    expect(img.data.equals(src)).toBe(true);
  });

  it('decodes 8-bit palettised top-down images (negative height)', () => {
    const src = pattern(3);
    const bytes = encodeBmp(src, W, H, { bits: 8, topDown: true });
    expect(parseBmpHeader(bytes)).toMatchObject({ width: W, height: H, topDown: true, bitsPerPixel: 8 });
    expect(decodeBmp(bytes).data.equals(src)).toBe(true);
  });

  it('decodes 32-bit BI_BITFIELDS with an alpha mask to RGBA', () => {
    const src = pattern(4);
    const img = decodeBmp(encodeBmp(src, W, H, { bits: 32 }));
    expect(img.channels).toBe(4);
    expect(img.data.equals(src)).toBe(true);
  });

  it('refuses variants it cannot decode, naming them', () => {
    const rle = encodeBmp(pattern(3), W, H, { bits: 8 });
    rle.writeUInt32LE(1, 30);
    expect(() => parseBmpHeader(rle)).toThrow(/RLE8-compressed BMP is not supported/);
    const sixteen = encodeBmp(pattern(3), W, H, { bits: 24 });
    sixteen.writeUInt16LE(16, 28);
    expect(() => parseBmpHeader(sixteen)).toThrow(/16-bit BMP is not supported/);
    const os2 = encodeBmp(pattern(3), W, H, { bits: 24 });
    os2.writeUInt32LE(12, 14);
    expect(() => parseBmpHeader(os2)).toThrow(/OS\/2/);
  });

  it('refuses a file shorter than its pixel data', () => {
    const bytes = encodeBmp(pattern(3), W, H, { bits: 24 });
    expect(() => decodeBmp(bytes.subarray(0, bytes.length - 4))).toThrow(/truncated BMP/);
  });
});
