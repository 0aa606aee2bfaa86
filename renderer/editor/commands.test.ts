/**
 * Each editing command and its inverse: applying it changes the document as asked (in the editor and in the
 * project file), undoing it gives back exactly the previous document, redoing it the command's result again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabelClass } from '../../common/api/contract.js';
import { rleArea, rleBbox } from '../../common/geometry/rle.js';
import type { Editor } from './editor.js';
import type { MaskGeometry } from './shapes.js';
import { click, drag, key, localShapes, makeEditor, makeProject, seedClasses, serverShapes, type TestProject } from './testkit.js';
import type { Shape } from './types.js';

let p: TestProject;
let ed: Editor;
let cls: { cat: number; dog: number; person: number };
let A: number;
let B: number;

beforeEach(async () => {
  p = await makeProject();
  cls = await seedClasses(p);
  A = p.images['a.png'].id;
  B = p.images['b.png'].id;
  ed = makeEditor(p);
  await ed.load(p.images['a.png']);
});

afterEach(async () => {
  ed.dispose();
  await p.close();
});

interface Snapshot {
  shapes: Shape[];
  classes: LabelClass[];
}

async function snapshot(): Promise<Snapshot> {
  await ed.flush();
  const shapes = await serverShapes(p, ed.state.image!.id);
  expect(shapes).toEqual(localShapes(ed));
  const classes = await p.transport.call('classes.list', {});
  expect(classes).toEqual(ed.state.classes);
  return { shapes, classes };
}

/**
 * Run `command` (one step), check `after` on the result, undo and check the document is exactly what it was
 * (here and in the project file), redo and check the result again.
 */
async function roundTrip(command: () => unknown | Promise<unknown>, after: (s: Snapshot) => void, label?: string | RegExp): Promise<void> {
  const before = await snapshot();
  const steps = (await p.transport.call('edits.history', { imageId: ed.state.image!.id })).undo.length;
  await command();
  const done = await snapshot();
  after(done);
  expect((await p.transport.call('edits.history', { imageId: ed.state.image!.id })).undo.length).toBe(steps + 1);
  if (label) expect(ed.state.undoLabel).toMatch(label);
  expect(ed.undo()).toBe(true);
  expect(await snapshot()).toEqual(before);
  expect(ed.redo()).toBe(true);
  expect(await snapshot()).toEqual(done);
}

async function box(x: number, y: number, w: number, h: number): Promise<number> {
  ed.setTool('box');
  drag(ed, [x, y], [x + w, y + h]);
  await ed.flush();
  ed.setTool('select');
  return [...ed.state.selection][0];
}

const geo = (s: Snapshot, id: number): unknown => s.shapes.find((x) => x.id === id)?.geometry;

describe('shape commands', () => {
  it('Delete removes the selection', async () => {
    const a = await box(10, 10, 20, 20);
    const b = await box(50, 10, 20, 20);
    ed.select([a, b]);
    await roundTrip(() => expect(ed.keyDown(key('Delete'))).toBe(true), (s) => expect(s.shapes).toEqual([]), 'Delete 2 boxes');
    ed.clearSelection();
    expect(ed.keyDown(key('Delete'))).toBe(false);
  });

  it('arrow keys nudge the selection by 1 px, Shift by 10 px, clamped to the image; with nothing selected they are the page\'s', async () => {
    const a = await box(10, 10, 20, 20);
    await roundTrip(() => expect(ed.keyDown(key('ArrowRight'))).toBe(true), (s) => expect(geo(s, a)).toEqual({ type: 'box', x: 11, y: 10, w: 20, h: 20 }), 'Nudge shape');
    await roundTrip(() => ed.keyDown(key('ArrowUp', { shift: true })), (s) => expect(geo(s, a)).toEqual({ type: 'box', x: 11, y: 0, w: 20, h: 20 }));
    ed.keyDown(key('ArrowLeft', { shift: true }));
    ed.keyDown(key('ArrowLeft', { shift: true }));
    await ed.flush();
    expect(ed.state.shapes.get(a)!.geometry).toEqual({ type: 'box', x: 0, y: 0, w: 20, h: 20 });
    ed.clearSelection();
    expect(ed.keyDown(key('ArrowLeft'))).toBe(false);
    expect(ed.keyDown(key('ArrowRight', { shift: true }))).toBe(false);
  });

  it('nudges a mask by whole pixels', async () => {
    ed.setTool('brush');
    ed.setBrushSize(3);
    click(ed, 5.5, 5.5);
    await ed.flush();
    const id = [...ed.state.selection][0];
    expect(rleBbox(ed.state.shapes.get(id)!.geometry as MaskGeometry)).toEqual([4, 4, 3, 3]);
    await roundTrip(
      () => ed.nudge(10, -2),
      (s) => {
        const g = geo(s, id) as MaskGeometry;
        expect(rleBbox(g)).toEqual([14, 2, 3, 3]);
        expect(rleArea(g)).toBe(9);
      },
    );
  });

  it('Ctrl+D duplicates the selection 10 px right and down, selecting the copies', async () => {
    const a = await box(10, 10, 20, 20);
    ed.setAttributes([a], { occluded: true });
    await roundTrip(
      () => ed.keyDown(key('d', { ctrl: true })),
      (s) => {
        expect(s.shapes.map((x) => x.geometry)).toEqual([
          { type: 'box', x: 10, y: 10, w: 20, h: 20 },
          { type: 'box', x: 20, y: 20, w: 20, h: 20 },
        ]);
        expect(s.shapes[1]).toMatchObject({ classId: cls.cat, attributes: { occluded: true }, origin: 'manual' });
        expect([...ed.state.selection]).toEqual([s.shapes[1].id]);
      },
      'Duplicate shape',
    );
  });

  it('Ctrl+C / Ctrl+V pastes onto another image, clamped to it, with new ids, classes and attributes', async () => {
    const a = await box(10, 10, 40, 30);
    const b = await box(60, 40, 100, 50); // reaches x 160 and y 90: past the 80×60 image b
    ed.setTool('polygon');
    for (const [x, y] of [[100, 10], [190, 10], [190, 60]]) click(ed, x, y);
    ed.keyDown(key('Enter'));
    await ed.flush();
    const poly = [...ed.state.selection][0];
    ed.setClass([b], cls.dog);
    ed.setAttributes([a], { truncated: true, note: 'left' });
    ed.select([a, b, poly]);
    expect(ed.keyDown(key('c', { ctrl: true }))).toBe(true);
    expect(ed.state.clipboard).toBe(3);
    await ed.load(p.images['b.png']);
    expect(ed.state.clipboard).toBe(3); // kept across loads
    expect(ed.state.tool).toBe('polygon'); // and so is the tool
    await roundTrip(
      async () => {
        expect(ed.keyDown(key('v', { ctrl: true }))).toBe(true);
        await ed.flush();
      },
      (s) => {
        expect(s.shapes.map((x) => [x.imageId, x.classId, x.geometry, x.attributes, x.origin])).toEqual([
          [B, cls.cat, { type: 'box', x: 10, y: 10, w: 40, h: 30 }, { truncated: true, note: 'left' }, 'manual'],
          [B, cls.dog, { type: 'box', x: 60, y: 40, w: 20, h: 20 }, {}, 'manual'],
        ]);
        expect(s.shapes.every((x) => x.id !== a && x.id !== b)).toBe(true);
      },
      'Paste 2 shapes',
    );
    // The polygon lies wholly right of x = 80: clamped flat against the border, it is left out, and said so.
    expect(ed.state.notice?.text).toMatch(/1 of the copied shapes lie outside this image/);
    // Image a is untouched.
    expect((await serverShapes(p, A)).length).toBe(3);
  });

  it('Ctrl+V pressed while the next image is still loading pastes once it has loaded', async () => {
    const a = await box(10, 10, 40, 30);
    ed.select([a]);
    expect(ed.keyDown(key('c', { ctrl: true }))).toBe(true);
    const loading = ed.load(p.images['b.png']);
    expect(ed.state.loading).toBe(true);
    const pasted = ed.paste();
    await loading;
    const ids = await pasted;
    expect(ids).toHaveLength(1);
    await ed.flush();
    expect((await serverShapes(p, B)).map((x) => x.geometry)).toEqual([{ type: 'box', x: 10, y: 10, w: 40, h: 30 }]);
  });

  it('a mask pasted onto a smaller image is cut to it; a duplicate at the border stays inside', async () => {
    ed.setTool('brush');
    ed.setBrushSize(5);
    drag(ed, [70.5, 30.5], [100.5, 30.5], 5); // x 68..102 on the 200×100 image
    await ed.flush();
    const mask = [...ed.state.selection][0];
    const right = await box(185, 80, 15, 20); // touches the right and bottom borders
    ed.select([right]);
    await ed.duplicate();
    await ed.flush();
    expect(localShapes(ed).map((s) => s.geometry).slice(-1)).toEqual([{ type: 'box', x: 185, y: 80, w: 15, h: 20 }]);
    ed.select([mask]);
    ed.copy();
    await ed.load(p.images['b.png']);
    await ed.paste();
    const [pasted] = await snapshot().then((s) => s.shapes);
    const g = pasted.geometry as MaskGeometry;
    expect([g.width, g.height]).toEqual([80, 60]);
    expect(rleBbox(g)).toEqual([68, 28, 12, 5]); // what lies left of x = 80
  });

  it('digits 1–9 set the class of the selection (a step), or of the next shape when nothing is selected', async () => {
    const a = await box(10, 10, 20, 20);
    expect(ed.state.classes.map((c) => c.name)).toEqual(['cat', 'dog', 'person']);
    await roundTrip(() => expect(ed.keyDown(key('2'))).toBe(true), (s) => expect(s.shapes[0].classId).toBe(cls.dog), 'Set class to dog');
    ed.clearSelection();
    expect(ed.keyDown(key('3'))).toBe(true);
    expect(ed.state.activeClassId).toBe(cls.person);
    expect(ed.keyDown(key('9'))).toBe(false); // no ninth class
    const b = await box(50, 10, 20, 20);
    expect(ed.state.shapes.get(b)!.classId).toBe(cls.person);
    expect(ed.state.shapes.get(a)!.classId).toBe(cls.dog);
  });

  it('a digit while drawing sets the class of the shape being drawn', async () => {
    ed.setTool('polygon');
    click(ed, 10, 10);
    click(ed, 50, 10);
    ed.keyDown(key('2'));
    click(ed, 50, 50);
    ed.keyDown(key('Enter'));
    await ed.flush();
    expect(localShapes(ed)[0].classId).toBe(cls.dog);
    expect(ed.state.activeClassId).toBe(cls.dog);
  });

  it('attributes: set, change and remove keys (undefined removes), flags and track id', async () => {
    const a = await box(10, 10, 20, 20);
    await roundTrip(
      () => ed.setAttributes([a], { occluded: true, difficult: false, track_id: 7, note: 'x' }),
      (s) => expect(s.shapes[0].attributes).toEqual({ occluded: true, difficult: false, track_id: 7, note: 'x' }),
      'Edit attributes',
    );
    await roundTrip(
      () => ed.setAttributes([a], { note: undefined, occluded: null }),
      (s) => expect(s.shapes[0].attributes).toEqual({ occluded: null, difficult: false, track_id: 7 }),
    );
  });

  it('captions: add, edit, delete; tags: toggle on and off', async () => {
    let id = 0;
    await roundTrip(
      async () => {
        id = await ed.addCaption('a cat on a mat');
      },
      (s) => expect(s.shapes).toEqual([expect.objectContaining({ id, kind: 'caption', classId: null, geometry: { type: 'caption', text: 'a cat on a mat' } })]),
      'Add caption',
    );
    await roundTrip(() => ed.updateCaption(id, 'two cats'), (s) => expect(s.shapes[0].geometry).toEqual({ type: 'caption', text: 'two cats' }));
    await roundTrip(
      () => ed.toggleTag(cls.dog),
      (s) => expect(s.shapes.map((x) => [x.kind, x.classId, x.geometry])).toEqual([
        ['caption', null, { type: 'caption', text: 'two cats' }],
        ['tag', cls.dog, { type: 'tag' }],
      ]),
      'Add tag',
    );
    await roundTrip(() => ed.toggleTag(cls.dog), (s) => expect(s.shapes.map((x) => x.kind)).toEqual(['caption']), 'Remove tag');
    await roundTrip(() => ed.removeShapes([id]), (s) => expect(s.shapes).toEqual([]), 'Delete caption');
    // Captions and tags are not on the canvas: not selected by Ctrl+A, not in view.
    await ed.addCaption('x');
    ed.selectAll();
    expect(ed.state.selection.size).toBe(0);
  });

  it('fills a polygon into a mask (same id) and traces a mask back into polygons', async () => {
    ed.setTool('polygon');
    for (const [x, y] of [[10, 10], [30, 10], [30, 20], [10, 20]]) click(ed, x, y);
    ed.keyDown(key('Enter'));
    await ed.flush();
    const id = [...ed.state.selection][0];
    await roundTrip(
      () => ed.polygonToMask([id]),
      (s) => {
        const g = geo(s, id) as MaskGeometry;
        expect(s.shapes[0].kind).toBe('mask');
        expect(rleBbox(g)).toEqual([10, 10, 20, 10]);
        expect(rleArea(g)).toBe(200);
      },
      'Polygon to mask',
    );
    // A second part of the mask, painted apart: two polygons, the first keeping the id.
    ed.select([id]);
    ed.setTool('brush');
    ed.setBrushSize(1);
    click(ed, 100.5, 50.5);
    await ed.flush();
    expect(rleArea(ed.state.shapes.get(id)!.geometry as MaskGeometry)).toBe(201);
    let ids: number[] = [];
    await roundTrip(
      async () => {
        ids = await ed.maskToPolygons(id);
      },
      (s) => {
        expect(ids[0]).toBe(id);
        expect(s.shapes.map((x) => [x.id, x.kind, x.classId, x.geometry])).toEqual([
          [id, 'polygon', cls.cat, { type: 'polygon', points: [10, 10, 30, 10, 30, 20, 10, 20] }],
          [ids[1], 'polygon', cls.cat, { type: 'polygon', points: [100, 50, 101, 50, 101, 51, 100, 51] }],
        ]);
      },
      'Mask to 2 polygons',
    );
  });

  it('a polyline cannot be filled into a mask, and says so', async () => {
    ed.setTool('polyline');
    for (const [x, y] of [[10, 10], [30, 10], [30, 20]]) click(ed, x, y);
    ed.keyDown(key('Enter'));
    await ed.flush();
    const id = [...ed.state.selection][0];
    expect(ed.polygonToMask([id])).toBe(false);
    expect(ed.state.notice?.text).toMatch(/A polyline is not closed and cannot be filled/);
  });

  it('keypoint visibility and Delete on a selected keypoint (not labeled)', async () => {
    ed.setActiveClass(cls.person);
    ed.setTool('keypoints');
    click(ed, 10, 10);
    click(ed, 20, 20);
    click(ed, 30, 10);
    await ed.flush();
    const id = [...ed.state.selection][0];
    await roundTrip(
      () => ed.setKeypointVisibility({ shapeId: id, index: 2 }, 1),
      (s) => expect((geo(s, id) as { points: number[] }).points).toEqual([10, 10, 2, 20, 20, 2, 30, 10, 1]),
      'Keypoint right_eye: occluded',
    );
    ed.setTool('select');
    click(ed, 20, 20);
    await roundTrip(
      () => ed.keyDown(key('Delete')),
      (s) => expect((geo(s, id) as { points: number[] }).points).toEqual([10, 10, 2, 20, 20, 0, 30, 10, 1]),
      'Keypoint left_eye: not labeled',
    );
  });
});

describe('class commands (steps on the current image)', () => {
  it('adds, renames, recolors and reorders classes, each one undoable step', async () => {
    let added: LabelClass | null = null;
    await roundTrip(
      async () => {
        added = await ed.addClass({ name: 'bird', hotkey: 'q', keypoints: { names: ['beak', 'tail'], edges: [[0, 1]] } });
      },
      (s) => {
        expect(s.classes.map((c) => [c.name, c.position])).toEqual([['cat', 0], ['dog', 1], ['person', 2], ['bird', 3]]);
        expect(s.classes[3]).toEqual({ ...added!, color: '#76b7b2' });
      },
      'Add class bird',
    );
    const bird = added!.id;
    await roundTrip(
      () => ed.updateClass(bird, { name: 'parrot', color: '#112233' }),
      (s) => expect(s.classes[3]).toMatchObject({ id: bird, name: 'parrot', color: '#112233', hotkey: 'q' }),
      'Rename class bird to parrot',
    );
    await roundTrip(
      () => ed.reorderClasses([bird, cls.cat, cls.dog, cls.person]),
      (s) => expect(s.classes.map((c) => [c.name, c.position])).toEqual([['parrot', 0], ['cat', 1], ['dog', 2], ['person', 3]]),
      'Reorder classes',
    );
    expect(() => ed.updateClass(bird, { name: 'cat' })).toThrow(/A class named "cat" already exists/);
    await expect(ed.addClass({ name: 'x', hotkey: 'q' })).rejects.toThrow(/Hotkey "q" is already used by class "parrot"/);
    // The digits follow the new order.
    ed.clearSelection();
    ed.keyDown(key('1'));
    expect(ed.state.activeClassId).toBe(bird);
  });

  it('deleting a class moves its annotations (on every image) to another class; undo gives everything back', async () => {
    const a = await box(10, 10, 20, 20);
    const b = await box(50, 10, 20, 20);
    ed.setClass([b], cls.dog);
    await ed.load(p.images['b.png']);
    ed.setActiveClass(cls.cat);
    const c = await box(5, 5, 10, 10);
    await ed.load(p.images['a.png']);
    await roundTrip(
      () => ed.deleteClass(cls.cat, { kind: 'reassign', to: cls.dog }),
      (s) => {
        expect(s.classes.map((x) => x.name)).toEqual(['dog', 'person']);
        expect(s.shapes.map((x) => [x.id, x.classId])).toEqual([[a, cls.dog], [b, cls.dog]]);
      },
      'Delete class cat (annotations to dog)',
    );
    // The annotation on image b moved back and forth too (the last state is the redone delete).
    expect((await serverShapes(p, B)).map((x) => [x.id, x.classId])).toEqual([[c, cls.dog]]);
    ed.undo();
    await ed.flush();
    expect((await serverShapes(p, B)).map((x) => [x.id, x.classId])).toEqual([[c, cls.cat]]);
    expect(ed.state.classes.map((x) => x.name)).toEqual(['cat', 'dog', 'person']);
  });

  it('deleting a class can leave its annotations unclassified; the active class moves off it', async () => {
    const a = await box(10, 10, 20, 20);
    expect(ed.state.activeClassId).toBe(cls.cat);
    await roundTrip(
      () => ed.deleteClass(cls.cat, { kind: 'unclassify' }),
      (s) => {
        expect(s.classes.map((x) => x.name)).toEqual(['dog', 'person']);
        expect(s.shapes.map((x) => [x.id, x.classId])).toEqual([[a, null]]);
      },
      'Delete class cat',
    );
    expect(ed.state.activeClassId).toBeNull();
  });
});
