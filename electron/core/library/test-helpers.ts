/** Shared by the library tests and the fixture generator: temp projects and a small BMP writer. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProjectStore } from '../project/store.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/images');

/** A temp folder and a fresh project in it; `cleanup` closes the project and removes everything. */
export function tempProject(): { dir: string; store: ProjectStore; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-library-'));
  const store = ProjectStore.open(path.join(dir, 'test.sightline'), { create: true });
  return {
    dir,
    store,
    cleanup: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BmpOptions {
  /** 8: palettised (at most 256 distinct colours), 24: BGR, 32: BI_BITFIELDS with alpha (V4 header) */
  bits: 8 | 24 | 32;
  topDown?: boolean;
}

/** Encode raw RGB (bits 8, 24) or RGBA (bits 32) pixels as a BMP the way common writers lay it out. */
export function encodeBmp(pixels: Buffer, width: number, height: number, { bits, topDown = false }: BmpOptions): Buffer {
  const channels = bits === 32 ? 4 : 3;
  const colors: number[] = [];
  const index = new Map<number, number>();
  if (bits === 8) {
    for (let i = 0; i < width * height; i++) {
      const c = (pixels[i * 3] << 16) | (pixels[i * 3 + 1] << 8) | pixels[i * 3 + 2];
      if (!index.has(c)) index.set(c, colors.push(c) - 1);
    }
    if (colors.length > 256) throw new Error(`${colors.length} colours do not fit an 8-bit palette`);
  }
  const headerSize = bits === 32 ? 108 : 40;
  const paletteBytes = colors.length * 4;
  const stride = Math.floor((bits * width + 31) / 32) * 4;
  const pixelOffset = 14 + headerSize + paletteBytes;
  const out = Buffer.alloc(pixelOffset + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(pixelOffset, 10);
  out.writeUInt32LE(headerSize, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(topDown ? -height : height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bits, 28);
  out.writeUInt32LE(bits === 32 ? 3 : 0, 30);
  out.writeUInt32LE(stride * height, 34);
  out.writeUInt32LE(colors.length, 46);
  if (bits === 32) [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000].forEach((m, i) => out.writeUInt32LE(m >>> 0, 54 + i * 4));
  colors.forEach((c, i) => out.writeUInt32LE(c, 14 + headerSize + i * 4)); // 0x00RRGGBB little-endian is B, G, R, 0
  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * channels;
      if (bits === 8) out[row + x] = index.get((pixels[p] << 16) | (pixels[p + 1] << 8) | pixels[p + 2])!;
      else if (bits === 24) out.set([pixels[p + 2], pixels[p + 1], pixels[p]], row + x * 3);
      else out.writeUInt32LE(((pixels[p + 3] << 24) | (pixels[p] << 16) | (pixels[p + 1] << 8) | pixels[p + 2]) >>> 0, row + x * 4);
    }
  }
  return out;
}
