/** Node's zlib as the PNG codec takes it: a bound on the inflated size refuses a zip bomb instead of allocating it. */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, decodePng, encodePng } from '../../../common/formats/png.js';
import { FormatError, InflateLimitError } from '../../../common/formats/types.js';
import { nodeZlib } from './zlib.js';

describe('nodeZlib', () => {
  it('inflates in full without a bound, and refuses past one', () => {
    const packed = deflateSync(Buffer.alloc(1 << 20, 7));
    expect(nodeZlib.inflate(packed).length).toBe(1 << 20);
    expect(nodeZlib.inflate(packed, 1 << 20).length).toBe(1 << 20);
    expect(() => nodeZlib.inflate(packed, (1 << 20) - 1)).toThrow(InflateLimitError);
    expect(() => nodeZlib.inflate(packed, (1 << 20) - 1)).toThrow('the data inflate to more than 1048575 bytes');
    // Data that are not zlib at all: Node's own error, not the limit's.
    expect(() => nodeZlib.inflate(Buffer.from('not zlib'), 10)).toThrow(expect.objectContaining({ code: 'Z_DATA_ERROR' }));
  });

  it('a PNG whose data inflate past its size is refused with a message, through the codec the importers use', () => {
    const good = encodePng({ width: 2, height: 1, channels: 1, data: new Uint8Array([0, 255]) }, nodeZlib);
    expect(Array.from(decodePng(good, nodeZlib, 'good.png').data)).toEqual([0, 255]);
    // Swap its IDAT for 16 MiB of zeros (a 16 KiB chunk).
    const at = Buffer.from(good).indexOf('IDAT') - 4;
    const bomb = deflateSync(Buffer.alloc(16 << 20));
    const idat = Buffer.alloc(12 + bomb.length);
    idat.writeUInt32BE(bomb.length, 0);
    idat.write('IDAT', 4, 'latin1');
    bomb.copy(idat, 8);
    idat.writeUInt32BE(crc32(idat.subarray(4, 8 + bomb.length)), 8 + bomb.length);
    const file = Buffer.concat([Buffer.from(good).subarray(0, at), idat, Buffer.from(good).subarray(Buffer.from(good).indexOf('IEND') - 4)]);
    let e: unknown;
    try {
      decodePng(file, nodeZlib, 'bomb.png');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).problem).toBe('image data inflate to more than 4 bytes, expected 3 for 2×1 8-bit grey');
  });
});
