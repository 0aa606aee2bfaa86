/**
 * History and saving against the real core: per-image stacks mirrored from the project, undo and redo after a
 * restart, another window's edits, retries of failed writes and the taking back of refused ones.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, type CallName, type CallRequest, type CallResponse } from '../../common/api/contract.js';
import type { Editor } from './editor.js';
import { click, drag, key, localShapes, makeEditor, makeProject, seedClasses, serverShapes, type TestProject } from './testkit.js';
import type { EditorTransport } from './types.js';

let p: TestProject;
let cls: { cat: number; dog: number; person: number };
let A: number;
let B: number;
const editors: Editor[] = [];

function editor(opts: Parameters<typeof makeEditor>[1] = {}, transport: EditorTransport = p.transport): Editor {
  const ed = makeEditor({ transport }, opts);
  editors.push(ed);
  return ed;
}

beforeEach(async () => {
  p = await makeProject();
  cls = await seedClasses(p);
  A = p.images['a.png'].id;
  B = p.images['b.png'].id;
});

afterEach(async () => {
  for (const e of editors.splice(0)) e.dispose();
  await p.close();
});

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function drawBox(ed: Editor, x: number, y: number, w = 20, h = 20): number {
  ed.setTool('box');
  drag(ed, [x, y], [x + w, y + h]);
  return [...ed.state.selection][0];
}

/** The core's transport, with `fail` deciding per call whether the way there (not the server) fails first. */
function flaky(fail: (name: CallName, n: number) => Error | null, after = false): EditorTransport & { calls: Map<string, number> } {
  const calls = new Map<string, number>();
  return {
    calls,
    async call<K extends CallName>(name: K, args: CallRequest<K>): Promise<CallResponse<K>> {
      const n = (calls.get(name) ?? 0) + 1;
      calls.set(name, n);
      const err = fail(name, n);
      if (err && !after) throw err;
      const r = await p.transport.call(name, args);
      if (err) throw err; // the server did it, the answer was lost on the way back
      return r;
    },
  };
}

describe('history', () => {
  it('one gesture is one step; undo is applied at once and saved after; a new step clears redo', async () => {
    const ed = editor();
    await ed.load(p.images['a.png']);
    const a = drawBox(ed, 10, 10);
    ed.setTool('select');
    drag(ed, [15, 15], [45, 25], 30);
    await ed.flush();
    let h = await p.transport.call('edits.history', { imageId: A });
    expect(h.undo.map((e) => e.label)).toEqual(['Draw box', 'Move shape']);
    expect(ed.undo()).toBe(true);
    // Optimistic: the editor shows the undo before the server has it.
    expect(ed.state.shapes.get(a)!.geometry).toEqual({ type: 'box', x: 10, y: 10, w: 20, h: 20 });
    expect(ed.state.save.state).toBe('saving');
    expect(ed.state).toMatchObject({ canUndo: true, canRedo: true, undoLabel: 'Draw box', redoLabel: 'Move shape' });
    await ed.flush();
    expect(ed.state.save).toEqual({ state: 'saved', pending: 0, error: null });
    h = await p.transport.call('edits.history', { imageId: A });
    expect(h.undo.map((e) => e.label)).toEqual(['Draw box']);
    expect(h.redo.map((e) => e.label)).toEqual(['Move shape']);
    ed.keyDown(key('z', { ctrl: true, shift: true }));
    ed.keyDown(key('z', { ctrl: true }));
    drawBox(ed, 100, 10);
    expect(ed.state.canRedo).toBe(false);
    await ed.flush();
    h = await p.transport.call('edits.history', { imageId: A });
    expect(h.undo.map((e) => e.label)).toEqual(['Draw box', 'Draw box']);
    expect(h.redo).toEqual([]);
    expect(ed.keyDown(key('y', { ctrl: true }))).toBe(true);
    expect(ed.state.canRedo).toBe(false);
  });

  it('keeps a stack per image; selection is not a step', async () => {
    const ed = editor();
    await ed.load(p.images['a.png']);
    drawBox(ed, 10, 10);
    await ed.load(p.images['b.png']);
    expect(ed.state.canUndo).toBe(false);
    drawBox(ed, 5, 5);
    ed.setTool('select');
    click(ed, 50, 50);
    ed.selectAll();
    expect(ed.state.undoLabel).toBe('Draw box');
    ed.undo();
    await ed.flush();
    expect(await serverShapes(p, B)).toEqual([]);
    expect((await serverShapes(p, A)).length).toBe(1);
    await ed.load(p.images['a.png']);
    expect(ed.state).toMatchObject({ canUndo: true, canRedo: false, undoLabel: 'Draw box' });
  });

  it('survives a restart: the history comes back from the project and undo and redo go on', async () => {
    let ed = editor();
    await ed.load(p.images['a.png']);
    const a = drawBox(ed, 10, 10);
    ed.setTool('select');
    drag(ed, [15, 15], [35, 15]);
    ed.setClass([a], cls.dog);
    await ed.load(p.images['b.png']);
    drawBox(ed, 5, 5, 10, 10);
    await ed.unload();
    expect(ed.state.image).toBeNull();
    ed.dispose();

    await p.restart();
    ed = editor();
    await ed.load(p.images['a.png']);
    expect(localShapes(ed)).toEqual([expect.objectContaining({ id: a, classId: cls.dog, geometry: { type: 'box', x: 30, y: 10, w: 20, h: 20 } })]);
    expect(ed.state).toMatchObject({ canUndo: true, canRedo: false, undoLabel: 'Set class to dog' });
    ed.undo();
    ed.undo();
    expect(localShapes(ed)).toEqual([expect.objectContaining({ id: a, classId: cls.cat, geometry: { type: 'box', x: 10, y: 10, w: 20, h: 20 } })]);
    ed.undo();
    expect(ed.state.shapes.size).toBe(0);
    expect(ed.undo()).toBe(false);
    ed.redo();
    await ed.flush();
    // Redo re-creates the box with its own id.
    expect(await serverShapes(p, A)).toEqual([expect.objectContaining({ id: a, classId: cls.cat, geometry: { type: 'box', x: 10, y: 10, w: 20, h: 20 } })]);

    await p.restart();
    ed.dispose();
    ed = editor();
    await ed.load(p.images['a.png']);
    expect(ed.state).toMatchObject({ canUndo: true, canRedo: true, undoLabel: 'Draw box', redoLabel: 'Move shape' });
    ed.redo();
    ed.redo();
    await ed.flush();
    expect(await serverShapes(p, A)).toEqual([expect.objectContaining({ id: a, classId: cls.dog, geometry: { type: 'box', x: 30, y: 10, w: 20, h: 20 } })]);
    await ed.load(p.images['b.png']);
    expect(ed.state.undoLabel).toBe('Draw box');
  });

  it("reloads when another window changes this image's labels, and says so; its own edits do not reload", async () => {
    const mine = editor();
    const other = editor();
    await mine.load(p.images['a.png']);
    await other.load(p.images['a.png']);
    let reads = 0;
    const count = mine.subscribe((c) => {
      if (c.image && mine.state.loading) reads++;
    });
    drawBox(mine, 10, 10);
    await mine.flush();
    await new Promise((r) => setTimeout(r, 30));
    expect(reads).toBe(0);
    await until(() => other.state.shapes.size === 1 && !other.state.loading, 'the other window to reload');
    expect(other.state.notice?.text).toBe("Another window changed this image's labels; reloaded.");
    // The other window edits on: the later write wins, and this window reloads in turn.
    const id = [...mine.state.shapes.keys()][0];
    other.select([id]);
    other.nudge(5, 0);
    await other.flush();
    await until(() => (mine.state.shapes.get(id)?.geometry as { x: number }).x === 15, 'this window to reload');
    expect(mine.state.notice?.text).toBe("Another window changed this image's labels; reloaded.");
    // Its history came with it: undo here takes back the other window's nudge, the newest step.
    expect(mine.state.undoLabel).toBe('Nudge shape');
    count();
  });

  it("reloads the classes when another window changes them", async () => {
    const mine = editor();
    const other = editor();
    await mine.load(p.images['a.png']);
    await other.load(p.images['b.png']);
    await other.addClass({ name: 'bird' });
    await other.flush();
    await until(() => mine.state.classes.some((c) => c.name === 'bird'), 'the classes to reload');
    expect(mine.state.classes.map((c) => c.name)).toEqual(['cat', 'dog', 'person', 'bird']);
    expect(mine.state.canUndo).toBe(false); // the class step is on image b's history
  });

  it('an undo that another window made stale is refused by the server: the image is reloaded and the editor says why', async () => {
    // This window misses the other's events (a dropped socket): only the server's conflict tells it.
    const mine = editor({}, { call: p.transport.call });
    const other = editor();
    await mine.load(p.images['a.png']);
    const a = drawBox(mine, 10, 10);
    await mine.flush();
    await other.load(p.images['a.png']);
    const b = drawBox(other, 60, 10);
    await other.flush();
    expect(mine.undo()).toBe(true);
    expect(mine.state.shapes.size).toBe(0);
    await mine.flush();
    await until(() => mine.state.shapes.size === 2 && !mine.state.loading, 'the reload after the conflict');
    expect(mine.state.notice?.text).toMatch(/Another window changed this image's history, so undo of "Draw box" could not be saved; the image was reloaded/);
    expect([...mine.state.shapes.keys()].sort()).toEqual([a, b].sort());
    expect(mine.state.undoLabel).toBe('Draw box');
    expect(await serverShapes(p, A)).toEqual(localShapes(mine));
  });
});

describe('saving', () => {
  it('a network failure is shown as failed and retried with backoff until it goes through; nothing is dropped', async () => {
    const t = flaky((name, n) => (name === 'edits.apply' && n <= 3 ? new TypeError('fetch failed') : null));
    const ed = editor({}, t);
    await ed.load(p.images['a.png']);
    const states: string[] = [];
    ed.subscribe((c, s) => {
      if (c.save) states.push(s.save.state);
    });
    const a = drawBox(ed, 10, 10);
    await until(() => ed.state.save.state === 'failed', 'the failure to show');
    expect(ed.state.save).toEqual({ state: 'failed', pending: 1, error: 'fetch failed' });
    expect(ed.state.shapes.has(a)).toBe(true); // still shown while it is retried
    await ed.flush();
    expect(ed.state.save).toEqual({ state: 'saved', pending: 0, error: null });
    expect(t.calls.get('edits.apply')).toBe(4);
    expect(states).toContain('failed');
    expect(states[states.length - 1]).toBe('saved');
    expect(await serverShapes(p, A)).toEqual(localShapes(ed));
  });

  it("the server's disk errors (io) are retried too, and the steps behind keep their order", async () => {
    const t = flaky((name, n) => (name === 'edits.apply' && n <= 2 ? new ApiError('io', 'Could not save the edit: the disk is full.') : null));
    const ed = editor({}, t);
    await ed.load(p.images['a.png']);
    drawBox(ed, 10, 10);
    drawBox(ed, 40, 10);
    ed.undo();
    drawBox(ed, 70, 10);
    await until(() => ed.state.save.error !== null, 'the failure');
    expect(ed.state.save).toMatchObject({ state: 'failed', pending: 4, error: 'Could not save the edit: the disk is full.' });
    await ed.flush();
    const h = await p.transport.call('edits.history', { imageId: A });
    expect(h.undo.map((e) => e.label)).toEqual(['Draw box', 'Draw box']);
    expect(h.redo).toEqual([]);
    expect((await serverShapes(p, A)).map((s) => (s.geometry as { x: number }).x)).toEqual([10, 70]);
  });

  it('a write whose answer was lost is sent again and applied once', async () => {
    const t = flaky((name, n) => (name === 'edits.apply' && n === 1 ? new TypeError('network connection lost') : null), true);
    const ed = editor({}, t);
    await ed.load(p.images['a.png']);
    drawBox(ed, 10, 10);
    await ed.flush();
    expect(t.calls.get('edits.apply')).toBe(2);
    expect((await p.transport.call('edits.history', { imageId: A })).undo.length).toBe(1);
    expect((await serverShapes(p, A)).length).toBe(1);
  });

  it('an edit made after the project was closed is taken back, with a notice that says so', async () => {
    const ed = editor();
    await ed.load(p.images['a.png']);
    const a = drawBox(ed, 10, 10);
    await ed.flush();
    await p.transport.call('projects.close', {});
    ed.setTool('select');
    ed.select([a]);
    ed.nudge(5, 5);
    expect(ed.state.shapes.get(a)!.geometry).toEqual({ type: 'box', x: 15, y: 15, w: 20, h: 20 });
    await ed.flush();
    expect(localShapes(ed)).toEqual([expect.objectContaining({ id: a, geometry: { type: 'box', x: 10, y: 10, w: 20, h: 20 } })]);
    expect(ed.state.notice).toMatchObject({ level: 'error', text: 'The project was closed; this edit was not saved: "Nudge shape".' });
    expect(ed.state).toMatchObject({ canUndo: true, undoLabel: 'Draw box', canRedo: false });
    // The ids held were the closed project's: a new shape cannot get one now, and says so.
    drawBox(ed, 60, 10);
    await ed.flush();
    expect(ed.state.shapes.size).toBe(1);
    expect(ed.state.notice?.text).toMatch(/The new shape could not be made: the project did not hand out ids \(No project is open/);
    // An undo refused the same way is taken back too: the box stays.
    ed.undo();
    expect(ed.state.shapes.size).toBe(0);
    await ed.flush();
    expect(ed.state.shapes.size).toBe(1);
    expect(ed.state.notice?.text).toBe('The project was closed; this edit was not saved: "Undo Draw box".');
  });

  it('a step still queued when another project is opened is not written into that project', async () => {
    let down = true;
    const t = flaky((name) => (name === 'edits.apply' && down ? new TypeError('fetch failed') : null));
    const ed = editor({}, { ...t, onProject: p.transport.onProject });
    await ed.load(p.images['a.png']);
    drawBox(ed, 10, 10);
    await until(() => ed.state.save.state === 'failed', 'the failure');
    // Meanwhile the window opens another project, whose image 1 and ids are other rows.
    const other = `${p.dir}/other.sightline`;
    await p.transport.call('projects.create', { path: other, folder: `${p.dir}/photos` }).then((r) => p.core.jobs.wait(r.jobId!));
    down = false;
    await ed.flush();
    expect(ed.state.shapes.size).toBe(0);
    expect(ed.state.notice?.text).toBe('The project was closed; this edit was not saved: "Draw box".');
    expect((await p.transport.call('projects.summary', {})).annotations).toBe(0);
  });

  it('a step the server refuses as invalid is taken back and named', async () => {
    const ed = editor();
    await ed.load(p.images['a.png']);
    const id = await ed.addCaption('short');
    ed.updateCaption(id, 'x'.repeat(10_001)); // over the contract's 10,000 characters
    expect((ed.state.shapes.get(id)!.geometry as { text: string }).text.length).toBe(10_001);
    await ed.flush();
    expect(ed.state.shapes.get(id)!.geometry).toEqual({ type: 'caption', text: 'short' });
    expect(ed.state.notice?.text).toMatch(/^The project refused "Edit caption" as invalid, so it was taken back: Invalid arguments for edits.apply/);
    expect(ed.state.undoLabel).toBe('Add caption');
  });

  it('edits made while the ids are still being reserved wait for them, and flush waits too', async () => {
    const ed = editor({ idBatch: 2 });
    await ed.load(p.images['a.png']);
    const made = await Promise.all([ed.addCaption('1'), ed.addCaption('2'), ed.addCaption('3'), ed.addCaption('4')]);
    expect(new Set(made).size).toBe(4);
    await ed.flush();
    expect((await serverShapes(p, A)).map((s) => (s.geometry as { text: string }).text).sort()).toEqual(['1', '2', '3', '4']);
  });

  it('the review status the server answers shows in state.image', async () => {
    const ed = editor();
    await ed.load(p.images['b.png']);
    expect(ed.state.image?.status).toBe('new');
    drawBox(ed, 5, 5);
    await ed.flush();
    expect(ed.state.image?.status).toBe('in_progress');
  });

  it('an image whose file is missing stays editable, with a notice', async () => {
    const ed = editor();
    await ed.load({ ...p.images['b.png'], missing: true });
    expect(ed.state.notice?.text).toBe("This image's file is missing; its labels stay editable.");
    drawBox(ed, 5, 5);
    await ed.flush();
    expect((await serverShapes(p, B)).length).toBe(1);
  });
});

describe('reading an image ahead of its load', () => {
  /** The core's transport (with its project events), logging when each call starts and ends. */
  function logged(): EditorTransport & { log: string[]; count(name: CallName): number } {
    const log: string[] = [];
    return {
      log,
      count: (name) => log.filter((l) => l === `${name} start`).length,
      onProject: p.transport.onProject,
      async call<K extends CallName>(name: K, args: CallRequest<K>): Promise<CallResponse<K>> {
        log.push(`${name} start`);
        try {
          return await p.transport.call(name, args);
        } finally {
          log.push(`${name} end`);
        }
      },
    };
  }

  it('the load takes the prefetch over: the labels are read once, history and labels at once', async () => {
    const first = editor();
    await first.load(p.images['a.png']);
    drawBox(first, 10, 10);
    await first.flush();
    const t = logged();
    const ed = editor({}, t);
    const early = ed.prefetch(A);
    expect(ed.prefetch(A)).toBe(early); // the viewer asking again gets the same read
    await ed.load(p.images['a.png'], early);
    expect(t.count('annotations.shapes')).toBe(1);
    expect(t.count('edits.history')).toBe(1);
    // Nothing of this editor's was being saved for the image: both reads went out together.
    expect(t.log.indexOf('annotations.shapes start')).toBeLessThan(t.log.indexOf('edits.history end'));
    expect(localShapes(ed)).toEqual(await serverShapes(p, A));
    expect(ed.state.undoLabel).toBe('Draw box');
  });

  it("a prefetch another window's change overtook is not used: the load reads again", async () => {
    const t = logged();
    const ed = editor({}, t);
    const early = ed.prefetch(A);
    await early.settled;
    const other = editor();
    await other.load(p.images['a.png']);
    drawBox(other, 30, 30);
    await other.flush();
    // The project event reaches this editor and marks the read it holds as overtaken.
    await until(() => (early as unknown as { stale: boolean }).stale, 'the project event to mark the prefetch stale');
    await ed.load(p.images['a.png'], early);
    expect(t.count('annotations.shapes')).toBe(2);
    expect(localShapes(ed)).toEqual(await serverShapes(p, A));
    expect(localShapes(ed)).toHaveLength(1);
  });

  it('with a step of its own for the image still being saved, the editor reads the history before the labels', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = logged();
    const slow: EditorTransport = {
      onProject: t.onProject,
      async call<K extends CallName>(name: K, args: CallRequest<K>): Promise<CallResponse<K>> {
        if (name === 'edits.apply') await gate;
        return t.call(name, args);
      },
    };
    const ed = editor({}, slow);
    await ed.load(p.images['a.png']);
    drawBox(ed, 10, 10);
    t.log.length = 0;
    const reading = ed.load(p.images['a.png']); // the step is still queued
    await until(() => t.log.includes('annotations.shapes start'), 'the labels to be read');
    expect(t.log.indexOf('edits.history end')).toBeLessThan(t.log.indexOf('annotations.shapes start'));
    release();
    await reading;
    await ed.flush();
    expect(localShapes(ed)).toEqual(await serverShapes(p, A));
    expect(localShapes(ed)).toHaveLength(1);
  });
});
