import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readImageMeta } from './metadata.js';
import { FIXTURES } from './test-helpers.js';

const fixture = (name: string) => path.join(FIXTURES, name);
const fromBuffer = (name: string) => readImageMeta(fixture(name), readFileSync(fixture(name)));

describe('readImageMeta', () => {
  it('reads format and size, from the bytes or from the file', async () => {
    expect(await fromBuffer('astronaut.png')).toEqual({ format: 'png', width: 512, height: 512, orientation: 1 });
    expect(await readImageMeta(fixture('astronaut.png'))).toEqual({ format: 'png', width: 512, height: 512, orientation: 1 });
    expect(await fromBuffer('nested/deeper/coffee.tiff')).toMatchObject({ format: 'tiff', width: 120 });
    expect(await fromBuffer('chelsea-24bit.bmp')).toEqual({ format: 'bmp', width: 96, height: 64, orientation: 1 });
    expect(await readImageMeta(fixture('chelsea-24bit.bmp'))).toEqual({ format: 'bmp', width: 96, height: 64, orientation: 1 });
    expect(await fromBuffer('shapes.gif')).toMatchObject({ format: 'gif', width: 120, height: 80 });
    expect(await fromBuffer('nested/hopper.webp')).toMatchObject({ format: 'webp', width: 128 });
  });

  it('gives the displayed size of an EXIF-rotated JPEG', async () => {
    expect(await fromBuffer('rotated-exif6.jpg')).toEqual({ format: 'jpeg', width: 160, height: 240, orientation: 6 });
  });

  it('swaps width and height for every orientation that turns the picture (5 to 8), and for no other', async () => {
    // Stored 30×20; orientations 5–8 (transpose, 90° cw, transverse, 90° ccw) display it 20×30.
    const stored = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#808080' } }).jpeg().toBuffer();
    const seen: Record<number, [number, number, number]> = {};
    for (let orientation = 1; orientation <= 8; orientation++) {
      const jpeg = await sharp(stored).withMetadata({ orientation }).jpeg().toBuffer();
      const m = await readImageMeta(`o${orientation}.jpg`, jpeg);
      expect(m.format).toBe('jpeg');
      seen[orientation] = [m.width, m.height, m.orientation];
    }
    expect(seen).toEqual({
      1: [30, 20, 1],
      2: [30, 20, 2],
      3: [30, 20, 3],
      4: [30, 20, 4],
      5: [20, 30, 5],
      6: [20, 30, 6],
      7: [20, 30, 7],
      8: [20, 30, 8],
    });
  });

  it('names what is wrong with broken files', async () => {
    await expect(fromBuffer('empty.png')).rejects.toThrow('empty file (0 bytes)');
    await expect(readImageMeta(fixture('empty.png'))).rejects.toThrow('empty file (0 bytes)');
    await expect(fromBuffer('truncated.jpg')).rejects.toThrow('truncated JPEG (no end-of-image marker)');
    await expect(fromBuffer('corrupt.jpg')).rejects.toThrow(/^not a readable image: /);
    const png = readFileSync(fixture('astronaut.png'));
    await expect(readImageMeta('cut.png', png.subarray(0, png.length - 100))).rejects.toThrow('truncated PNG (no IEND chunk)');
    const bmp = readFileSync(fixture('chelsea-24bit.bmp'));
    await expect(readImageMeta('cut.bmp', bmp.subarray(0, 1000))).rejects.toThrow(/truncated BMP/);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>');
    await expect(readImageMeta('drawing.png', svg)).rejects.toThrow('unsupported image format "svg"');
  });

  it('checks the end of files it reads by head and tail only (the > 64 MiB path)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-meta-'));
    try {
      const jpeg = await sharp(fixture('astronaut.png')).jpeg({ quality: 100 }).toBuffer();
      expect(jpeg.length).toBeGreaterThan(2 * 64 * 1024); // so head and tail do not overlap
      writeFileSync(path.join(dir, 'whole.jpg'), jpeg);
      writeFileSync(path.join(dir, 'cut.jpg'), jpeg.subarray(0, jpeg.length - 1000));
      expect(await readImageMeta(path.join(dir, 'whole.jpg'))).toEqual({ format: 'jpeg', width: 512, height: 512, orientation: 1 });
      await expect(readImageMeta(path.join(dir, 'cut.jpg'))).rejects.toThrow('truncated JPEG');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds truncation even when an EXIF thumbnail before the scan ends with its own end marker', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).jpeg().toBuffer();
    // A fake APP1 segment holding an end-of-image marker, as an embedded thumbnail would.
    const app1 = Buffer.from([0xff, 0xe1, 0x00, 0x06, 0xff, 0xd8, 0xff, 0xd9]);
    const withThumb = Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
    expect(await readImageMeta('whole.jpg', withThumb)).toMatchObject({ width: 64, height: 64 });
    await expect(readImageMeta('cut.jpg', withThumb.subarray(0, withThumb.length - 10))).rejects.toThrow('truncated JPEG');
  });
});
