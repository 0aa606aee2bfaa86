/**
 * A uniform grid over the image of shapes' bounding boxes, for culling and hit testing: a query touches the cells
 * it covers instead of every shape. Kept up to date one shape at a time as steps change shapes. A shape that
 * covers very many cells (a mask over the whole image) is kept in a short list checked on every query instead.
 */

export type Bbox = readonly [x: number, y: number, w: number, h: number];

const BIG_CELLS = 256;
const OFFSET = 4096; // cell coordinates are shifted so that shapes a little outside the image still index

export class SpatialGrid {
  private readonly cells = new Map<number, Set<number>>();
  private readonly boxes = new Map<number, Bbox>();
  private readonly big = new Set<number>();
  /** The cells ever filled since the last clear: a query over a huge rectangle walks only these. */
  private extent = { cx0: Infinity, cy0: Infinity, cx1: -Infinity, cy1: -Infinity };

  constructor(readonly cellSize = 128) {}

  /** A cell size that gives about 32 cells along the image's longer side (at least 32 px). */
  static forImage(width: number, height: number): SpatialGrid {
    return new SpatialGrid(Math.max(32, Math.ceil(Math.max(width, height) / 32)));
  }

  get size(): number {
    return this.boxes.size;
  }

  bbox(id: number): Bbox | undefined {
    return this.boxes.get(id);
  }

  clear(): void {
    this.cells.clear();
    this.boxes.clear();
    this.big.clear();
    this.extent = { cx0: Infinity, cy0: Infinity, cx1: -Infinity, cy1: -Infinity };
  }

  /** Index `id` at `box`, or drop it (null: a caption, a tag, an empty shape). */
  set(id: number, box: Bbox | null): void {
    const old = this.boxes.get(id);
    if (old) {
      if (box && old[0] === box[0] && old[1] === box[1] && old[2] === box[2] && old[3] === box[3]) return;
      this.remove(id, old);
    }
    if (!box) return;
    this.boxes.set(id, box);
    const [cx0, cy0, cx1, cy1] = this.cellRange(box[0], box[1], box[0] + box[2], box[1] + box[3]);
    if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > BIG_CELLS) {
      this.big.add(id);
      return;
    }
    const e = this.extent;
    e.cx0 = Math.min(e.cx0, cx0);
    e.cy0 = Math.min(e.cy0, cy0);
    e.cx1 = Math.max(e.cx1, cx1);
    e.cy1 = Math.max(e.cy1, cy1);
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        const k = key(cx, cy);
        let s = this.cells.get(k);
        if (!s) this.cells.set(k, (s = new Set()));
        s.add(id);
      }
    }
  }

  delete(id: number): void {
    const old = this.boxes.get(id);
    if (old) this.remove(id, old);
  }

  /**
   * Ids whose box meets the rectangle [x0, x1] × [y0, y1] (edges touching count), in no particular order. With a
   * `limit`, the query stops once it has found more than that many.
   */
  query(x0: number, y0: number, x1: number, y1: number, limit = Infinity): number[] {
    const out: number[] = [];
    const seen = new Set<number>();
    const meets = (id: number): boolean => {
      const b = this.boxes.get(id)!;
      return b[0] <= x1 && b[0] + b[2] >= x0 && b[1] <= y1 && b[1] + b[3] >= y0;
    };
    for (const id of this.big) if (meets(id) && (seen.add(id), out.push(id)) > limit) return out;
    const r = this.cellRange(x0, y0, x1, y1), e = this.extent;
    const cx0 = Math.max(r[0], e.cx0), cy0 = Math.max(r[1], e.cy0), cx1 = Math.min(r[2], e.cx1), cy1 = Math.min(r[3], e.cy1);
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        const s = this.cells.get(key(cx, cy));
        if (!s) continue;
        for (const id of s) {
          if (seen.has(id)) continue;
          seen.add(id);
          if (meets(id) && out.push(id) > limit) return out;
        }
      }
    }
    return out;
  }

  private remove(id: number, box: Bbox): void {
    this.boxes.delete(id);
    if (this.big.delete(id)) return;
    const [cx0, cy0, cx1, cy1] = this.cellRange(box[0], box[1], box[0] + box[2], box[1] + box[3]);
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        const k = key(cx, cy);
        const s = this.cells.get(k);
        if (!s) continue;
        s.delete(id);
        if (s.size === 0) this.cells.delete(k);
      }
    }
  }

  private cellRange(x0: number, y0: number, x1: number, y1: number): [number, number, number, number] {
    const c = this.cellSize;
    const clampCell = (v: number): number => Math.max(-OFFSET, Math.min(OFFSET - 1, Math.floor(v / c)));
    return [clampCell(x0), clampCell(y0), clampCell(x1), clampCell(y1)];
  }
}

function key(cx: number, cy: number): number {
  return (cy + OFFSET) * (2 * OFFSET) + (cx + OFFSET);
}
