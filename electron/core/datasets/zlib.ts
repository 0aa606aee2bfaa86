/** Node's zlib as the pure PNG codec takes it (common/formats stays free of Node). */
import { deflateSync, inflateSync } from 'node:zlib';
import type { Zlib } from '../../../common/formats/types.js';

export const nodeZlib: Zlib = {
  deflate: (d) => deflateSync(d),
  inflate: (d, maxLength) => inflateSync(d, maxLength === undefined ? {} : { maxOutputLength: Math.max(1, maxLength) }),
};
