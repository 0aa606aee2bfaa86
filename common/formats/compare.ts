/**
 * The round-trip check's comparison (issue 8): what a format's parser read back against what the format was
 * meant to hold (`Held`), within the format's precision. Pure.
 */
import type { Geometry } from '../api/contract.js';
import { decodeRle } from '../geometry/rle.js';
import type { FormatAttributes, ParsedObject } from './types.js';

export type Comparable = Omit<ParsedObject, 'where'>;

const num = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol + 1e-9 * Math.max(1, Math.abs(a));

function sameList(a: readonly number[], b: readonly number[], tol: number): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!num(a[i], b[i], tol)) return false;
  return true;
}

function sameMask(a: Extract<Geometry, { type: 'mask' }>, b: Extract<Geometry, { type: 'mask' }>): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  if (sameList(a.counts, b.counts, 0)) return true;
  // The same pixels can be written as different runs (a leading empty run, split runs): compare pixels.
  const pa = decodeRle(a);
  const pb = decodeRle(b);
  for (let i = 0; i < pa.length; i++) if ((pa[i] !== 0) !== (pb[i] !== 0)) return false;
  return true;
}

export function sameGeometry(a: Geometry, b: Geometry, tol: number): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'box': {
      const g = b as typeof a;
      return num(a.x, g.x, tol) && num(a.y, g.y, tol) && num(a.w, g.w, tol) && num(a.h, g.h, tol);
    }
    case 'polygon':
      return sameList(a.points, (b as typeof a).points, tol);
    case 'mask':
      return sameMask(a, b as typeof a);
    case 'keypoints': {
      const g = b as typeof a;
      if (a.points.length !== g.points.length) return false;
      for (let i = 0; i < a.points.length; i += 3) {
        if (a.points[i + 2] !== g.points[i + 2]) return false;
        // an absent point's position carries nothing
        if (a.points[i + 2] !== 0 && !(num(a.points[i], g.points[i], tol) && num(a.points[i + 1], g.points[i + 1], tol))) return false;
      }
      return true;
    }
    case 'caption':
      return a.text === (b as typeof a).text;
    case 'tag':
      return true;
  }
}

function sameAttributes(a: FormatAttributes, b: FormatAttributes): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

function sameObject(a: Comparable, b: Comparable, tol: number, scoreTol: number): boolean {
  if (a.class !== b.class || a.kind !== b.kind) return false;
  if ((a.score === null) !== (b.score === null)) return false;
  if (a.score !== null && b.score !== null && !num(a.score, b.score, scoreTol)) return false;
  return sameAttributes(a.attributes, b.attributes) && sameGeometry(a.geometry, b.geometry, tol);
}

export function describe(o: Comparable): string {
  const g = o.geometry;
  const shape =
    g.type === 'box'
      ? `box ${[g.x, g.y, g.w, g.h].map((v) => +v.toFixed(2)).join(',')}`
      : g.type === 'polygon'
        ? `polygon of ${g.points.length / 2} points`
        : g.type === 'mask'
          ? `mask ${g.width}×${g.height}`
          : g.type === 'keypoints'
            ? `${g.points.length / 3} keypoints`
            : g.type === 'caption'
              ? `caption "${g.text.slice(0, 40)}"`
              : 'tag';
  return `${o.class ?? '(no class)'} ${shape}${o.score !== null ? ` score ${o.score}` : ''}`;
}

/**
 * Differences between what was meant and what was read back for one image, as sentences; empty when equal.
 * Objects are matched regardless of order (formats group and reorder them), each at most once.
 */
export function compareObjects(where: string, expected: readonly Comparable[], actual: readonly Comparable[], tol: number, scoreTol = 0): string[] {
  const used = new Uint8Array(actual.length);
  const missing: Comparable[] = [];
  for (const e of expected) {
    let found = -1;
    for (let i = 0; i < actual.length; i++) {
      if (!used[i] && sameObject(e, actual[i], tol, scoreTol)) {
        found = i;
        break;
      }
    }
    if (found < 0) missing.push(e);
    else used[found] = 1;
  }
  const out: string[] = [];
  for (const m of missing) out.push(`${where}: ${describe(m)} was written but not read back equal`);
  actual.forEach((a, i) => {
    if (!used[i]) out.push(`${where}: read back ${describe(a)}, which was not meant to be there`);
  });
  return out;
}
