/**
 * Each tool's state machine, driven by pointer and key input as the canvas sends it, against a real core: the
 * geometry stored in the project file is checked, not just the editor's own view.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeRle, rleArea, rleBbox } from '../../common/geometry/rle.js';
import type { Editor } from './editor.js';
import type { MaskGeometry } from './shapes.js';
import { click, drag, key, localShapes, makeEditor, makeProject, pt, seedClasses, serverShapes, type TestProject } from './testkit.js';
import type { EditorChange, Shape } from './types.js';

let p: TestProject;
let ed: Editor;
let cls: { cat: number; dog: number; person: number };
let A: number;

beforeEach(async () => {
  p = await makeProject();
  cls = await seedClasses(p);
  A = p.images['a.png'].id;
  ed = makeEditor(p);
  await ed.load(p.images['a.png']);
});

afterEach(async () => {
  ed.dispose();
  await p.close();
});

const geometries = (): unknown[] => localShapes(ed).map((s) => s.geometry);

async function saved(): Promise<Shape[]> {
  await ed.flush();
  const server = await serverShapes(p, A);
  expect(server).toEqual(localShapes(ed));
  return server;
}

async function historyLength(): Promise<number> {
  return (await p.transport.call('edits.history', { imageId: A })).undo.length;
}

async function addBox(x: number, y: number, w: number, h: number): Promise<number> {
  ed.setTool('box');
  drag(ed, [x, y], [x + w, y + h]);
  await ed.flush();
  return [...ed.state.selection][0];
}

async function addPolygon(points: number[], tool: 'polygon' | 'polyline' = 'polygon'): Promise<number> {
  ed.setTool(tool);
  for (let i = 0; i < points.length; i += 2) click(ed, points[i], points[i + 1]);
  ed.keyDown(key('Enter'));
  await ed.flush();
  return [...ed.state.selection][0];
}

describe('box tool', () => {
  it('draws a box of the active class in one step, with a draft while dragging', async () => {
    expect(ed.state.activeClassId).toBe(cls.cat); // the first class is active after load
    expect(ed.keyDown(key('b'))).toBe(true);
    expect(ed.state.tool).toBe('box');
    ed.pointerDown(pt(10, 10));
    for (let i = 1; i <= 30; i++) ed.pointerMove(pt(10 + i, 10 + i));
    expect(ed.state.draft).toEqual({ kind: 'box', x: 10, y: 10, w: 30, h: 30, classId: cls.cat });
    ed.pointerUp(pt(50, 40));
    expect(ed.state.draft).toBeNull();
    const [s] = await saved();
    expect(s).toMatchObject({ kind: 'box', classId: cls.cat, geometry: { type: 'box', x: 10, y: 10, w: 40, h: 30 }, origin: 'manual', attributes: {} });
    expect(await historyLength()).toBe(1);
    expect([...ed.state.selection]).toEqual([s.id]);
    expect(ed.state.image?.status).toBe('in_progress');
  });

  it('draws the same box dragging up-left, and clamps a drag past the image to its border', async () => {
    ed.setTool('box');
    drag(ed, [50, 40], [10, 10]);
    drag(ed, [150, 50], [300, 200]);
    drag(ed, [-20, -30], [5, 6]);
    await saved();
    expect(geometries()).toEqual([
      { type: 'box', x: 10, y: 10, w: 40, h: 30 },
      { type: 'box', x: 150, y: 50, w: 50, h: 50 },
      { type: 'box', x: 0, y: 0, w: 5, h: 6 },
    ]);
  });

  it('refuses a box under 1 px wide or high with a notice, and makes no step', async () => {
    ed.setTool('box');
    drag(ed, [10, 10], [10.5, 40]);
    expect(ed.state.notice?.text).toMatch(/at least 1 px of width and height \(this one was 0\.5 × 30 px\)/);
    click(ed, 60, 60);
    expect(ed.state.shapes.size).toBe(0);
    await ed.flush();
    expect(await historyLength()).toBe(0);
    expect(ed.state.canUndo).toBe(false);
  });

  it('Esc during the drag drops the draft', () => {
    ed.setTool('box');
    ed.pointerDown(pt(10, 10));
    ed.pointerMove(pt(30, 30));
    expect(ed.keyDown(key('Escape'))).toBe(true);
    expect(ed.state.draft).toBeNull();
    ed.pointerUp(pt(30, 30));
    expect(ed.state.shapes.size).toBe(0);
  });
});

describe('select tool', () => {
  it('click picks the topmost shape; shift-click toggles; click on empty clears', async () => {
    const a = await addBox(10, 10, 40, 30);
    const b = await addBox(30, 20, 40, 30);
    ed.setTool('select');
    click(ed, 35, 25); // inside both: b is drawn later, on top
    expect([...ed.state.selection]).toEqual([b]);
    click(ed, 15, 15, { shift: true });
    expect([...ed.state.selection].sort()).toEqual([a, b].sort());
    click(ed, 65, 45, { shift: true });
    expect([...ed.state.selection]).toEqual([a]);
    click(ed, 150, 90);
    expect(ed.state.selection.size).toBe(0);
  });

  it('shapes of hidden or locked classes cannot be picked', async () => {
    const a = await addBox(10, 10, 40, 30);
    ed.setTool('select');
    ed.toggleClassLocked(cls.cat);
    click(ed, 20, 20);
    expect(ed.state.selection.size).toBe(0);
    ed.toggleClassLocked(cls.cat);
    ed.toggleClassHidden(cls.cat);
    click(ed, 20, 20);
    expect(ed.state.selection.size).toBe(0);
    expect(ed.shapesInView({ x: 0, y: 0, w: 200, h: 100 })).toEqual([]);
    ed.toggleClassHidden(cls.cat);
    click(ed, 20, 20);
    expect([...ed.state.selection]).toEqual([a]);
  });

  it('a marquee selects the shapes wholly inside it, shift adds to the selection', async () => {
    const a = await addBox(10, 10, 20, 20);
    const b = await addBox(40, 10, 20, 20);
    const c = await addBox(100, 10, 20, 20);
    ed.setTool('select');
    ed.pointerDown(pt(2, 2)); // (5, 5) would be within the hit tolerance of the box at (10, 10)
    ed.pointerMove(pt(45, 35));
    expect(ed.state.draft).toEqual({ kind: 'marquee', x: 2, y: 2, w: 43, h: 33 });
    ed.pointerMove(pt(65, 35));
    ed.pointerUp(pt(65, 35));
    expect(ed.state.draft).toBeNull();
    expect([...ed.state.selection].sort()).toEqual([a, b].sort());
    drag(ed, [95, 5], [125, 35], 3, { shift: true });
    expect([...ed.state.selection].sort()).toEqual([a, b, c].sort());
  });

  it('a drag of 30 moves on a selected shape moves the whole selection in one step; only the preview changes meanwhile', async () => {
    const a = await addBox(10, 10, 20, 20);
    const b = await addBox(40, 10, 20, 20);
    ed.select([a, b]);
    ed.setTool('select');
    const shapesBefore = ed.state.shapes;
    const changes: EditorChange[] = [];
    const off = ed.subscribe((c) => changes.push(c));
    ed.pointerDown(pt(15, 15));
    for (let i = 1; i <= 30; i++) ed.pointerMove(pt(15 + i, 15 + i / 2));
    expect(ed.state.shapes).toBe(shapesBefore); // nothing stored changed, the map was not copied
    expect(ed.state.preview.get(a)?.geometry).toEqual({ type: 'box', x: 40, y: 25, w: 20, h: 20 });
    expect(changes.every((c) => c.shapes === undefined)).toBe(true);
    expect(changes.filter((c) => c.preview).length).toBeGreaterThanOrEqual(28);
    ed.pointerUp(pt(45, 30));
    off();
    expect(ed.state.preview.size).toBe(0);
    await saved();
    expect(geometries()).toEqual([
      { type: 'box', x: 40, y: 25, w: 20, h: 20 },
      { type: 'box', x: 70, y: 25, w: 20, h: 20 },
    ]);
    expect(await historyLength()).toBe(3);
    expect(ed.state.undoLabel).toBe('Move 2 shapes');
  });

  it('a move is clamped so the whole selection stays inside the image', async () => {
    const a = await addBox(10, 10, 20, 20);
    const b = await addBox(150, 60, 30, 30);
    ed.select([a, b]);
    ed.setTool('select');
    drag(ed, [20, 20], [400, 300], 10);
    await saved();
    // b can move only 20 right and 10 down before it meets the border; a moves by as much.
    expect(geometries()).toEqual([
      { type: 'box', x: 30, y: 20, w: 20, h: 20 },
      { type: 'box', x: 170, y: 70, w: 30, h: 30 },
    ]);
  });

  it('dragging a corner handle resizes with the opposite corner fixed, and flips past it', async () => {
    const a = await addBox(10, 10, 40, 30);
    ed.setTool('select');
    const se = ed.handles().find((h) => h.kind === 'se')!;
    expect(se).toMatchObject({ shapeId: a, x: 50, y: 40 });
    expect(ed.handles().map((h) => h.kind)).toEqual(['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w']);
    drag(ed, [50, 40], [70, 60]);
    await saved();
    expect(geometries()).toEqual([{ type: 'box', x: 10, y: 10, w: 60, h: 50 }]);
    drag(ed, [10, 10], [90, 80]); // nw dragged past se (70, 60): the box flips
    await saved();
    expect(geometries()[0]).toEqual({ type: 'box', x: 70, y: 60, w: 20, h: 20 });
  });

  it('an edge handle changes one side only, and a resize to zero is refused', async () => {
    await addBox(10, 10, 40, 30);
    ed.setTool('select');
    drag(ed, [50, 25], [80, 90]); // 'e' handle: only x changes
    await saved();
    expect(geometries()).toEqual([{ type: 'box', x: 10, y: 10, w: 70, h: 30 }]);
    drag(ed, [80, 25], [10.2, 25]);
    expect(ed.state.notice?.text).toMatch(/at least 1 px/);
    await saved();
    expect(geometries()).toEqual([{ type: 'box', x: 10, y: 10, w: 70, h: 30 }]);
    expect(await historyLength()).toBe(2);
  });

  it('drags a polygon vertex, refusing a move that makes the polygon cross itself', async () => {
    const id = await addPolygon([10, 10, 60, 10, 60, 60, 10, 60]);
    ed.setTool('select');
    ed.select([id]);
    drag(ed, [60, 60], [70, 80]);
    await saved();
    expect(geometries()).toEqual([{ type: 'polygon', points: [10, 10, 60, 10, 70, 80, 10, 60] }]);
    expect(ed.state.selectedVertex).toEqual({ shapeId: id, index: 2 });
    drag(ed, [10, 60], [90, 20]); // across the edge from (60, 10) to (70, 80)
    expect(ed.state.notice?.text).toMatch(/cross itself \(edges \d and \d\)/);
    await saved();
    expect(geometries()).toEqual([{ type: 'polygon', points: [10, 10, 60, 10, 70, 80, 10, 60] }]);
  });

  it('a click on a selected polygon edge inserts a vertex; right-click and Delete remove vertices, not below 3', async () => {
    const id = await addPolygon([10, 10, 60, 10, 60, 60, 10, 60]);
    ed.setTool('select');
    ed.select([id]);
    click(ed, 35, 10.5);
    await saved();
    expect(geometries()).toEqual([{ type: 'polygon', points: [10, 10, 35, 10, 60, 10, 60, 60, 10, 60] }]);
    expect(ed.state.undoLabel).toBe('Insert vertex');
    expect(ed.contextMenu(pt(60, 60, { button: 2 }))).toBe(true);
    await saved();
    expect(geometries()).toEqual([{ type: 'polygon', points: [10, 10, 35, 10, 60, 10, 10, 60] }]);
    click(ed, 35, 10); // on the vertex: selects it
    expect(ed.state.selectedVertex).toEqual({ shapeId: id, index: 1 });
    expect(ed.keyDown(key('Delete'))).toBe(true);
    await saved();
    expect(geometries()).toEqual([{ type: 'polygon', points: [10, 10, 60, 10, 10, 60] }]);
    expect(ed.contextMenu(pt(10, 60, { button: 2 }))).toBe(true);
    expect(ed.state.notice?.text).toMatch(/needs at least 3 points/);
    await saved();
    expect(geometries()).toEqual([{ type: 'polygon', points: [10, 10, 60, 10, 10, 60] }]);
    expect(ed.state.shapes.has(id)).toBe(true);
  });

  it('inserting a vertex and dragging it in the same press is one step', async () => {
    const id = await addPolygon([10, 10, 60, 10, 60, 60, 10, 60]);
    ed.setTool('select');
    ed.select([id]);
    drag(ed, [35, 10], [35, 0], 10);
    await saved();
    expect(geometries()).toEqual([{ type: 'polygon', points: [10, 10, 35, 0, 60, 10, 60, 60, 10, 60] }]);
    expect(await historyLength()).toBe(2);
  });
});

describe('polygon and polyline tools', () => {
  it('closes on a click on the first vertex', async () => {
    ed.keyDown(key('p'));
    click(ed, 10, 10);
    click(ed, 50, 10);
    click(ed, 50, 50);
    expect(ed.state.draft).toMatchObject({ kind: 'polygon', points: [10, 10, 50, 10, 50, 50], polyline: false, classId: cls.cat });
    click(ed, 12, 11); // within 8 screen px of the first point
    expect(ed.state.draft).toBeNull();
    await saved();
    expect(geometries()).toEqual([{ type: 'polygon', points: [10, 10, 50, 10, 50, 50] }]);
    expect(await historyLength()).toBe(1);
  });

  it('finishes on a double click (the canvas event, or two quick presses in one place)', async () => {
    ed.setTool('polygon');
    click(ed, 10, 10);
    click(ed, 50, 10);
    click(ed, 50, 50);
    expect(ed.doubleClick(pt(50, 50))).toBe(true);
    ed.setTool('polygon');
    click(ed, 110, 10);
    click(ed, 150, 10);
    ed.pointerDown(pt(150, 50, { time: 100_000 }));
    ed.pointerUp(pt(150, 50, { time: 100_050 }));
    ed.pointerDown(pt(150, 50, { time: 100_200 }));
    ed.pointerUp(pt(150, 50, { time: 100_250 }));
    expect(ed.doubleClick(pt(150, 50))).toBe(false); // already finished by the second press
    await saved();
    expect(geometries()).toEqual([
      { type: 'polygon', points: [10, 10, 50, 10, 50, 50] },
      { type: 'polygon', points: [110, 10, 150, 10, 150, 50] },
    ]);
  });

  it('Enter finishes, Backspace takes back the last point, Esc cancels', async () => {
    ed.setTool('polygon');
    click(ed, 10, 10);
    click(ed, 50, 10);
    click(ed, 90, 90);
    expect(ed.keyDown(key('Backspace'))).toBe(true);
    click(ed, 50, 50);
    expect(ed.keyDown(key('Enter'))).toBe(true);
    await saved();
    expect(geometries()).toEqual([{ type: 'polygon', points: [10, 10, 50, 10, 50, 50] }]);
    click(ed, 100, 10);
    click(ed, 150, 10);
    expect(ed.keyDown(key('Escape'))).toBe(true);
    expect(ed.state.draft).toBeNull();
    expect(ed.keyDown(key('Escape'))).toBe(true); // clears the selection (the drawn polygon)
    expect(ed.keyDown(key('Escape'))).toBe(false); // nothing left: the page may leave
    expect(ed.state.shapes.size).toBe(1);
  });

  it('refuses fewer than 3 points and flat polygons, keeping the draft', async () => {
    ed.setTool('polygon');
    click(ed, 10, 10);
    click(ed, 50, 10);
    ed.keyDown(key('Enter'));
    expect(ed.state.notice?.text).toMatch(/A polygon needs at least 3 points; it has 2/);
    expect(ed.state.draft).toMatchObject({ points: [10, 10, 50, 10] });
    click(ed, 90, 10);
    ed.keyDown(key('Enter'));
    expect(ed.state.notice?.text).toMatch(/on one line/);
    expect(ed.state.shapes.size).toBe(0);
  });

  it('refuses a self-intersecting polygon and says so', async () => {
    ed.setTool('polygon');
    for (const [x, y] of [[10, 10], [60, 60], [60, 10], [10, 60]]) click(ed, x, y);
    ed.keyDown(key('Enter'));
    expect(ed.state.notice).toMatchObject({ level: 'warning' });
    expect(ed.state.notice?.text).toMatch(/crosses itself \(edges 1 and 3\), so it was not created/);
    expect(ed.state.shapes.size).toBe(0);
    ed.keyDown(key('Backspace'));
    click(ed, 10, 40);
    // 10,10 → 60,60 → 60,10 → 10,40 still crosses; take two back and go round the other way.
    ed.keyDown(key('Backspace'));
    ed.keyDown(key('Backspace'));
    click(ed, 10, 60);
    ed.keyDown(key('Enter'));
    await saved();
    expect(geometries()).toEqual([{ type: 'polygon', points: [10, 10, 60, 60, 10, 60] }]);
  });

  it('a polyline is a polygon marked polyline: true, needs 3 points, and may cross itself', async () => {
    ed.keyDown(key('l'));
    click(ed, 10, 10);
    click(ed, 50, 10);
    ed.keyDown(key('Enter'));
    expect(ed.state.notice?.text).toMatch(/A polyline needs at least 3 points here \(lines are stored as polygons, which need 3\)/);
    click(ed, 10, 50);
    click(ed, 50, 50); // crosses nothing yet; lines may cross anyway
    ed.keyDown(key('Enter'));
    const [s] = await saved();
    expect(s).toMatchObject({ kind: 'polygon', attributes: { polyline: true }, geometry: { type: 'polygon', points: [10, 10, 50, 10, 10, 50, 50, 50] } });
    // A click on the first point does not close a polyline: it adds a point.
    click(ed, 100, 10);
    click(ed, 150, 10);
    click(ed, 150, 50);
    click(ed, 100, 10);
    expect(ed.state.draft).toMatchObject({ points: [100, 10, 150, 10, 150, 50, 100, 10] });
  });
});

describe('brush and eraser', () => {
  const maskOf = (s: Shape | undefined): MaskGeometry => s!.geometry as MaskGeometry;

  it('a click paints one disk of the brush diameter into a new mask of the active class', async () => {
    ed.keyDown(key('m'));
    ed.setBrushSize(5);
    click(ed, 20.5, 20.5);
    const [s] = await saved();
    expect(s.kind).toBe('mask');
    expect(s.classId).toBe(cls.cat);
    const g = maskOf(s);
    expect([g.width, g.height]).toEqual([200, 100]);
    // Radius 2.5 around a pixel centre: rows of 3, 5, 5, 5, 3 pixels.
    expect(rleArea(g)).toBe(21);
    expect(rleBbox(g)).toEqual([18, 18, 5, 5]);
    const m = decodeRle(g);
    expect([m[20 * 200 + 18], m[18 * 200 + 18], m[18 * 200 + 19]]).toEqual([1, 0, 1]);
  });

  it('a stroke is one step: a capsule along the path, clipped at the image border', async () => {
    ed.setTool('brush');
    ed.setBrushSize(5);
    ed.pointerDown(pt(10.5, 10.5));
    for (let i = 1; i <= 20; i++) ed.pointerMove(pt(10.5 + i, 10.5));
    expect(ed.state.draft).toMatchObject({ kind: 'mask', width: 200, height: 100, targetId: null, erase: false });
    ed.pointerUp(pt(30.5, 10.5));
    let [s] = await saved();
    // Rows 1 px or less from the line reach 2.5 px past the ends (25 px), rows 2 px away 1.5 px (23 px).
    expect(rleArea(maskOf(s))).toBe(3 * 25 + 2 * 23);
    expect(rleBbox(maskOf(s))).toEqual([8, 8, 25, 5]);
    expect(await historyLength()).toBe(1);
    // The same brush off the left edge: only the pixels inside the image are painted.
    ed.clearSelection();
    drag(ed, [1, 1], [-20, 1], 5);
    const shapes = await saved();
    s = shapes[1];
    expect(rleArea(maskOf(s))).toBe(10);
    expect(rleBbox(maskOf(s))).toEqual([0, 0, 3, 4]);
  });

  it('paints into the selected mask, and [ ] change the brush size', async () => {
    ed.setTool('brush');
    ed.setBrushSize(5);
    click(ed, 20.5, 20.5);
    await ed.flush();
    const id = [...ed.state.selection][0];
    expect(ed.keyDown(key(']'))).toBe(true);
    expect(ed.state.brushSize).toBe(6);
    expect(ed.keyDown(key('['))).toBe(true);
    expect(ed.keyDown(key('['))).toBe(true);
    expect(ed.state.brushSize).toBe(4);
    ed.setBrushSize(1);
    click(ed, 100.5, 50.5);
    const shapes = await saved();
    expect(shapes.map((s) => s.id)).toEqual([id]);
    expect(rleArea(maskOf(shapes[0]))).toBe(22);
    expect(rleBbox(maskOf(shapes[0]))).toEqual([18, 18, 83, 33]);
  });

  it('the eraser erases from the mask under the pointer, and deletes a mask erased to nothing (undo brings it back)', async () => {
    ed.setTool('brush');
    ed.setBrushSize(5);
    click(ed, 20.5, 20.5);
    await ed.flush();
    const id = [...ed.state.selection][0];
    const painted = ed.state.shapes.get(id)!;
    ed.clearSelection();
    ed.keyDown(key('e'));
    ed.setBrushSize(1);
    click(ed, 20.5, 20.5);
    let shapes = await saved();
    expect(rleArea(maskOf(shapes[0]))).toBe(20);
    expect(decodeRle(maskOf(shapes[0]))[20 * 200 + 20]).toBe(0);
    expect([...ed.state.selection]).toEqual([id]); // the erased mask stays the eraser's target
    ed.clearSelection();
    ed.setBrushSize(9);
    click(ed, 20.5, 20.5); // the pixel under the pointer is erased already: the mask whose box the brush reaches
    shapes = await saved();
    expect(shapes).toEqual([]);
    expect(ed.state.undoLabel).toBe('Erase mask');
    ed.undo();
    ed.undo();
    shapes = await saved();
    expect(shapes).toEqual([painted]);
  });

  it('the eraser with no mask under it says so and changes nothing', async () => {
    ed.setTool('eraser');
    click(ed, 50, 50);
    expect(ed.state.notice?.text).toMatch(/no mask here to erase/);
    await ed.flush();
    expect(await historyLength()).toBe(0);
  });
});

describe('keypoints tool', () => {
  it('places the template points in order: click visible, shift-click occluded, X skips; the last one makes the shape', async () => {
    ed.setActiveClass(cls.person);
    expect(ed.keyDown(key('k'))).toBe(true);
    click(ed, 10, 10);
    click(ed, 20, 25, { shift: true });
    expect(ed.state.draft).toMatchObject({ kind: 'keypoints', classId: cls.person, points: [10, 10, 2, 20, 25, 1], names: ['nose', 'left_eye', 'right_eye'], edges: [[0, 1], [0, 2]] });
    expect(ed.keyDown(key('x'))).toBe(true);
    expect(ed.state.draft).toBeNull();
    const [s] = await saved();
    expect(s).toMatchObject({ kind: 'keypoints', classId: cls.person, geometry: { type: 'keypoints', points: [10, 10, 2, 20, 25, 1, 0, 0, 0], names: ['nose', 'left_eye', 'right_eye'] } });
    expect(await historyLength()).toBe(1);
  });

  it('Enter makes the shape with the points placed so far; Backspace takes one back', async () => {
    ed.setActiveClass(cls.person);
    ed.setTool('keypoints');
    click(ed, 10, 10);
    click(ed, 30, 30);
    ed.keyDown(key('Backspace'));
    click(ed, 300, -5); // clamped to the image
    ed.keyDown(key('Enter'));
    await saved();
    expect(geometries()).toEqual([{ type: 'keypoints', points: [10, 10, 2, 200, 0, 2, 0, 0, 0], names: ['nose', 'left_eye', 'right_eye'] }]);
  });

  it('needs a class with a keypoint template', async () => {
    ed.setActiveClass(cls.dog);
    ed.setTool('keypoints');
    expect(ed.state.notice?.text).toMatch(/Class "dog" has no keypoint template/);
    click(ed, 10, 10);
    expect(ed.state.draft).toBeNull();
    expect(ed.state.shapes.size).toBe(0);
  });

  it('O cycles the selected point visible → occluded → not labeled → visible, and points drag like vertices', async () => {
    ed.setActiveClass(cls.person);
    ed.setTool('keypoints');
    click(ed, 10, 10);
    click(ed, 30, 30);
    click(ed, 50, 10);
    await ed.flush();
    const id = [...ed.state.selection][0];
    ed.setTool('select');
    expect(ed.handles().map((h) => [h.index, h.x, h.y])).toEqual([[0, 10, 10], [1, 30, 30], [2, 50, 10]]);
    expect(ed.keyDown(key('o'))).toBe(true);
    expect(ed.state.notice?.text).toMatch(/Click a point/);
    click(ed, 30, 30);
    expect(ed.state.selectedVertex).toEqual({ shapeId: id, index: 1 });
    const vis = (): number => (ed.state.shapes.get(id)!.geometry as { points: number[] }).points[5];
    ed.keyDown(key('o'));
    expect(vis()).toBe(1);
    ed.keyDown(key('o'));
    expect(vis()).toBe(0);
    ed.keyDown(key('o'));
    expect(vis()).toBe(2);
    drag(ed, [50, 10], [60, 20]);
    await saved();
    expect(geometries()).toEqual([{ type: 'keypoints', points: [10, 10, 2, 30, 30, 2, 60, 20, 2], names: ['nose', 'left_eye', 'right_eye'] }]);
    expect(await historyLength()).toBe(5);
    expect(ed.state.undoLabel).toBe('Move keypoint');
  });
});
