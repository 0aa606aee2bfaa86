/** Node's zlib as the pure PNG codec takes it (common/formats stays free of Node). */
import { deflateSync, inflateSync } from 'node:zlib';
import { InflateLimitError, type Zlib } from '../../../common/formats/types.js';

export const nodeZlib: Zlib = {
  deflate: (d) => deflateSync(d),
  inflate: (d, maxLength) => {
    if (maxLength === undefined) return inflateSync(d);
    try {
      return inflateSync(d, { maxOutputLength: maxLength });
    } catch (e) {
      // Node stops inflating at the bound and says so with this code; the codec in common/ knows only the contract's error.
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new InflateLimitError(maxLength);
      throw e;
    }
  },
};
