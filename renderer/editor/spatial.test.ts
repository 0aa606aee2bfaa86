/**
 * The grid index against a brute-force scan, and the editor at the benchmark size (5,000 boxes and 1,000
 * polygons of 50 vertices on a 4000×3000 image): culling queries, hit tests and a drag stay cheap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnnotationInput } from '../../common/api/contract.js';
import type { Editor } from './editor.js';
import { SpatialGrid, type Bbox } from './spatial.js';
import { click, makeEditor, makeProject, pt, type TestProject } from './testkit.js';
import type { EditorChange } from './types.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const meets = (b: Bbox, x0: number, y0: number, x1: number, y1: number): boolean => b[0] <= x1 && b[0] + b[2] >= x0 && b[1] <= y1 && b[1] + b[3] >= y0;

describe('SpatialGrid', () => {
  it('answers every query as a brute-force scan does, through inserts, moves and deletes', () => {
    const rnd = lcg(3);
    const grid = new SpatialGrid(50);
    const boxes = new Map<number, Bbox>();
    for (let id = 1; id <= 600; id++) {
      const big = id % 50 === 0;
      const b: Bbox = [rnd() * 1000 - 50, rnd() * 800 - 50, big ? 900 : rnd() * 80, big ? 700 : rnd() * 80];
      boxes.set(id, b);
      grid.set(id, b);
    }
    for (let id = 1; id <= 600; id += 3) {
      const b: Bbox = [rnd() * 1000, rnd() * 800, rnd() * 30, rnd() * 30];
      boxes.set(id, b);
      grid.set(id, b);
    }
    for (let id = 2; id <= 600; id += 7) {
      boxes.delete(id);
      grid.delete(id);
    }
    expect(grid.size).toBe(boxes.size);
    for (let q = 0; q < 200; q++) {
      const x0 = rnd() * 1100 - 100, y0 = rnd() * 900 - 100, x1 = x0 + rnd() * 300, y1 = y0 + rnd() * 300;
      const expected = [...boxes].filter(([, b]) => meets(b, x0, y0, x1, y1)).map(([id]) => id).sort((a, b) => a - b);
      expect(grid.query(x0, y0, x1, y1).sort((a, b) => a - b)).toEqual(expected);
    }
    // A query far bigger than the index walks only the cells in use.
    expect(grid.query(-1e9, -1e9, 1e9, 1e9).length).toBe(boxes.size);
    // With a limit it stops one past it (big boxes or not); under it, it answers in full.
    expect(grid.query(-1e9, -1e9, 1e9, 1e9, 10)).toHaveLength(11);
    expect(grid.query(-1e9, -1e9, 1e9, 1e9, 5)).toHaveLength(6);
    expect(grid.query(-1e9, -1e9, 1e9, 1e9, boxes.size).length).toBe(boxes.size);
  });
});

describe('the editor with 6,000 shapes', () => {
  let p: TestProject;
  let ed: Editor;
  const rnd = lcg(11);

  beforeAll(async () => {
    p = await makeProject({ 'big.png': [4000, 3000] });
    const imageId = p.images['big.png'].id;
    const create: AnnotationInput[] = [];
    for (let i = 0; i < 5000; i++) {
      create.push({ imageId, kind: 'box', geometry: { type: 'box', x: 20 + rnd() * 3900, y: 20 + rnd() * 2900, w: 10 + rnd() * 60, h: 10 + rnd() * 60 } });
    }
    for (let i = 0; i < 1000; i++) {
      const cx = 100 + rnd() * 3800, cy = 100 + rnd() * 2800;
      const points: number[] = [];
      for (let k = 0; k < 50; k++) points.push(cx + 40 * Math.cos((k / 50) * 2 * Math.PI), cy + 40 * Math.sin((k / 50) * 2 * Math.PI));
      create.push({ imageId, kind: 'polygon', geometry: { type: 'polygon', points } });
    }
    await p.transport.call('annotations.batch', { create });
    ed = makeEditor(p);
    await ed.load(p.images['big.png']);
  }, 120_000);

  afterAll(async () => {
    ed?.dispose();
    await p?.close();
  });

  it('culls with the grid: the same ids as a scan, in draw order, fast', () => {
    expect(ed.state.shapes.size).toBe(6000);
    const shapes = [...ed.state.shapes.values()];
    const bbox = (s: (typeof shapes)[number]): Bbox => {
      const g = s.geometry;
      if (g.type === 'box') return [g.x, g.y, g.w, g.h];
      const pts = (g as { points: number[] }).points;
      const xs = pts.filter((_, i) => i % 2 === 0), ys = pts.filter((_, i) => i % 2 === 1);
      return [Math.min(...xs), Math.min(...ys), Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)];
    };
    const rect = { x: 1000, y: 800, w: 900, h: 600 };
    const expected = shapes.filter((s) => meets(bbox(s), rect.x, rect.y, rect.x + rect.w, rect.y + rect.h)).map((s) => s.id).sort((a, b) => a - b);
    expect(expected.length).toBeGreaterThan(100);
    expect(ed.shapesInView(rect)).toEqual(expected);
    // Asked with a limit (the painter only wants to know whether there are more than that): cut one past it, whether
    // through the grid or, with the whole image in view, the draw order; under the limit, the full answer.
    expect(ed.shapesInView(rect, { limit: 50 })).toHaveLength(51);
    expect(ed.shapesInView({ x: -10, y: -10, w: 5000, h: 4000 }, { limit: 50 })).toHaveLength(51);
    expect(ed.shapesInView(rect, { limit: expected.length })).toEqual(expected);
    // Other views agree with the brute force too (their speed is the editor benchmark's: no wall-clock limits here).
    for (let i = 0; i < 20; i++) {
      const r = { x: (i * 37 * 10) % 3000, y: (i * 53 * 10) % 2000, w: 900, h: 600 };
      const want = shapes.filter((s) => meets(bbox(s), r.x, r.y, r.x + r.w, r.y + r.h)).map((s) => s.id).sort((a, b) => a - b);
      expect(ed.shapesInView(r), JSON.stringify(r)).toEqual(want);
    }
  });

  it('a drag over thousands of shapes changes only the preview, and each move is cheap', () => {
    const target = [...ed.state.shapes.values()].find((s) => s.kind === 'box')!;
    const g = target.geometry as { x: number; y: number; w: number; h: number };
    const [cx, cy] = [g.x + g.w / 2, g.y + g.h / 2];
    ed.setTool('select');
    click(ed, cx, cy);
    const hit = [...ed.state.selection][0];
    expect(hit).toBeDefined();
    const shapesMap = ed.state.shapes;
    const changes: EditorChange[] = [];
    const off = ed.subscribe((c) => changes.push(c));
    ed.pointerDown(pt(cx, cy));
    for (let i = 1; i <= 60; i++) ed.pointerMove(pt(cx + i, cy + i / 3));
    // Cheap by construction (timed in the editor benchmark, not here): the shapes map is the same object and no change
    // names shapes, so nothing repaints the stored shapes during the drag.
    expect(ed.state.shapes).toBe(shapesMap);
    expect(ed.state.preview.size).toBe(1);
    expect(changes.every((c) => c.shapes === undefined)).toBe(true);
    ed.pointerUp(pt(cx + 60, cy + 20));
    off();
    expect(ed.state.shapes).not.toBe(shapesMap);
    expect(ed.state.shapes.get(hit)!.geometry).not.toEqual(shapesMap.get(hit)!.geometry);
    // The commit names only the shape it changed.
    expect(changes[changes.length - 1].shapes).toEqual([hit]);
  });

  it('hovering over 6,000 shapes changes only what is hovered, never the shapes', () => {
    const shapesMap = ed.state.shapes;
    const changes: EditorChange[] = [];
    const off = ed.subscribe((c) => changes.push(c));
    const hovered = new Set<number | null>();
    for (let i = 0; i < 500; i++) {
      ed.pointerMove(pt((i * 97) % 4000, (i * 61) % 3000));
      hovered.add(ed.state.hovered);
    }
    off();
    expect(ed.state.shapes).toBe(shapesMap);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((c) => c.shapes === undefined)).toBe(true);
    // Moves over 4000×3000 px of dense shapes hover many of them, and also empty places.
    expect(hovered.size).toBeGreaterThan(10);
  });
});
