/**
 * The annotation editor in Chromium, as a person uses it: each tool draws and edits with the mouse and the
 * keyboard, undo and redo work, a reload shows the same shapes from SQLite, and the stored geometry is in image
 * pixels (checked through the API, within 1 px, after zooming and panning).
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Annotation } from '../../common/api/contract.js';
import { decodeRle } from '../../common/geometry/rle.js';
import { openFolderInBrowser, type AppInBrowser } from './chromium.js';
import * as kit from './kit.js';

let dir: string;
let app: AppInBrowser;
let page: Page;
let ids: number[];
let folderPath: string;
const W = 640;
const H = 480;

async function call<T>(name: string, args: unknown): Promise<T> {
  return (await app.core.dispatch(name, args)) as T;
}
const list = (imageId: number) => call<Annotation[]>('annotations.list', { imageId });

/** Screen position of an image pixel, from the viewport the viewer publishes on its container. */
async function screen(x: number, y: number): Promise<{ x: number; y: number }> {
  const stage = page.getByTestId('viewer-stage');
  const vp = await stage.evaluate((el: HTMLElement) => ({ s: Number(el.dataset.scale), x: Number(el.dataset.offsetX), y: Number(el.dataset.offsetY) }));
  const box = (await stage.boundingBox())!;
  return { x: box.x + x * vp.s + vp.x, y: box.y + y * vp.s + vp.y };
}

async function drag(from: [number, number], to: [number, number], steps = 8): Promise<void> {
  const a = await screen(...from);
  const b = await screen(...to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps });
  await page.mouse.up();
}

async function click(x: number, y: number, opts: { button?: 'left' | 'right'; modifiers?: ('Shift' | 'Control')[] } = {}): Promise<void> {
  const p = await screen(x, y);
  for (const m of opts.modifiers ?? []) await page.keyboard.down(m);
  await page.mouse.click(p.x, p.y, { button: opts.button ?? 'left' });
  for (const m of opts.modifiers ?? []) await page.keyboard.up(m);
}

const saved = () => kit.saved(page);

const openImage = (id: number) => kit.openImage(page, id);

async function clear(imageId: number): Promise<void> {
  const existing = await list(imageId);
  if (existing.length) await call('annotations.batch', { delete: existing.map((a) => a.id) });
  await page.evaluate(() => (window as unknown as { sightlineEditor: { reload(): Promise<void> } }).sightlineEditor.reload());
}

const near = (a: number, b: number, tol = 1) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(tol);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-editor-e2e-'));
  const folder = path.join(dir, 'photos');
  mkdirSync(folder);
  for (const [i, color] of [
    [1, { r: 40, g: 90, b: 60 }],
    [2, { r: 80, g: 60, b: 120 }],
    [3, { r: 120, g: 80, b: 40 }],
  ] as const) {
    await sharp({ create: { width: W, height: H, channels: 3, background: color } }).png().toFile(path.join(folder, `img${i}.png`));
  }
  await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 200, g: 200, b: 200 } } }).png().toFile(path.join(folder, 'zz-gone.png'));
  app = await openFolderInBrowser(path.join(dir, 'home'), folder);
  page = app.page;
  const store = app.core.store!;
  ids = store.images.list({ offset: 0, limit: 10, filter: {}, sort: { by: 'path', dir: 'asc' } }).items.map((r) => r.id);
  folderPath = folder;
  store.classes.upsert({ name: 'cat' });
  store.classes.upsert({ name: 'dog' });
  await openImage(ids[0]);
}, 120_000);

afterAll(async () => {
  expect(app?.pageErrors ?? []).toEqual([]);
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('box tool', () => {
  it('draws a box in image pixels, undoes, redoes, and survives a reload with its history', async () => {
    await page.keyboard.press('b');
    await expect.poll(() => page.getByTestId('tool-box').getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('1'); // class "cat"
    await drag([100, 120], [300, 270]);
    await saved();
    let rows = await list(ids[0]);
    expect(rows).toHaveLength(1);
    const g = rows[0].geometry;
    expect(g.type).toBe('box');
    if (g.type !== 'box') return;
    near(g.x, 100);
    near(g.y, 120);
    near(g.w, 200);
    near(g.h, 150);
    const cat = app.core.store!.classes.list().find((c) => c.name === 'cat')!;
    expect(rows[0].classId).toBe(cat.id);
    // New → In progress on the first edit.
    expect(app.core.store!.images.get(ids[0]).status).toBe('in_progress');

    await page.keyboard.press('Control+z');
    await saved();
    expect(await list(ids[0])).toHaveLength(0);
    await page.keyboard.press('Control+Shift+z');
    await saved();
    rows = await list(ids[0]);
    expect(rows).toHaveLength(1);

    await page.reload();
    await openImage(ids[0]);
    await expect.poll(() => page.evaluate(() => (window as unknown as { sightlineEditor: { state: { shapes: Map<number, unknown> } } }).sightlineEditor.state.shapes.size)).toBe(1);
    // Undo works after the reload: the history came from the project file.
    await expect.poll(() => page.getByTestId('undo').isEnabled()).toBe(true);
    await page.keyboard.press('Control+z');
    await saved();
    expect(await list(ids[0])).toHaveLength(0);
    await page.keyboard.press('Control+y');
    await saved();
    expect(await list(ids[0])).toHaveLength(1);
  });

  it('keeps image pixels after zooming and panning, and refuses a zero-area box', async () => {
    await clear(ids[0]);
    await page.keyboard.press('b');
    const stage = page.getByTestId('viewer-stage');
    const bb = (await stage.boundingBox())!;
    await page.mouse.move(bb.x + bb.width / 2, bb.y + bb.height / 2);
    await page.mouse.wheel(0, -300);
    // Middle-button pan.
    await page.mouse.down({ button: 'middle' });
    await page.mouse.move(bb.x + bb.width / 2 - 60, bb.y + bb.height / 2 - 40, { steps: 4 });
    await page.mouse.up({ button: 'middle' });
    await expect.poll(async () => Number(await stage.getAttribute('data-scale'))).toBeGreaterThan(1.2);
    await drag([300, 200], [340, 260]);
    await saved();
    const rows = await list(ids[0]);
    expect(rows).toHaveLength(1);
    const g = rows[0].geometry;
    if (g.type !== 'box') throw new Error('not a box');
    near(g.x, 300);
    near(g.y, 200);
    near(g.w, 40);
    near(g.h, 60);
    // A click without a drag is not a box.
    await click(320, 100);
    await page.waitForTimeout(100);
    expect(await list(ids[0])).toHaveLength(1);
    await page.keyboard.press('f');
  });
});

describe('select tool', () => {
  it('moves, resizes, nudges and deletes a box; each gesture is one undo step', async () => {
    await clear(ids[0]);
    await page.keyboard.press('b');
    await drag([100, 100], [200, 180]);
    await saved();
    await page.keyboard.press('v');
    await click(150, 140);
    await drag([150, 140], [200, 170], 20);
    await saved();
    let g = (await list(ids[0]))[0].geometry;
    if (g.type !== 'box') throw new Error('not a box');
    near(g.x, 150);
    near(g.y, 130);
    // Resize from the bottom-right handle.
    await drag([250, 210], [290, 250]);
    await saved();
    g = (await list(ids[0]))[0].geometry;
    if (g.type !== 'box') throw new Error('not a box');
    near(g.x, 150);
    near(g.w, 140);
    near(g.h, 120);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+ArrowDown');
    await saved();
    g = (await list(ids[0]))[0].geometry;
    if (g.type !== 'box') throw new Error('not a box');
    near(g.x, 151, 0.01);
    near(g.y, 140, 0.01);
    // The whole 20-move drag was one step: three undos (two nudges, the resize) land on the moved box.
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await saved();
    g = (await list(ids[0]))[0].geometry;
    if (g.type !== 'box') throw new Error('not a box');
    near(g.x, 150);
    near(g.w, 100);
    await page.keyboard.press('Delete');
    await saved();
    expect(await list(ids[0])).toHaveLength(0);
  });
});

describe('polygon tool', () => {
  it('draws a polygon closed on its first vertex, inserts and removes a vertex', async () => {
    await clear(ids[0]);
    await page.keyboard.press('p');
    for (const [x, y] of [
      [100, 100],
      [300, 100],
      [300, 300],
      [100, 300],
    ]) {
      await click(x, y);
    }
    await click(100, 100);
    await saved();
    const rows = await list(ids[0]);
    expect(rows).toHaveLength(1);
    const g = rows[0].geometry;
    if (g.type !== 'polygon') throw new Error('not a polygon');
    expect(g.points).toHaveLength(8);
    const expected = [100, 100, 300, 100, 300, 300, 100, 300];
    g.points.forEach((v, i) => near(v, expected[i]));

    // Select it, click the middle of its top edge: a fifth vertex.
    await page.keyboard.press('v');
    await click(200, 200);
    await click(200, 100);
    await saved();
    let pts = ((await list(ids[0]))[0].geometry as { points: number[] }).points;
    expect(pts).toHaveLength(10);
    // Right-click that vertex removes it.
    await click(200, 100, { button: 'right' });
    await saved();
    pts = ((await list(ids[0]))[0].geometry as { points: number[] }).points;
    expect(pts).toHaveLength(8);
  });

  it('refuses a self-intersecting polygon and says so', async () => {
    await clear(ids[0]);
    await page.keyboard.press('p');
    for (const [x, y] of [
      [100, 100],
      [300, 300],
      [300, 100],
      [100, 300],
    ]) {
      await click(x, y);
    }
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('editor-notice').textContent()).toMatch(/cross|intersect/i);
    expect(await list(ids[0])).toHaveLength(0);
    await page.keyboard.press('Escape');
  });
});

describe('mask brush', () => {
  it('paints a stroke into an RLE mask at image resolution and erases part of it', async () => {
    await clear(ids[0]);
    await page.keyboard.press('m');
    await page.getByTestId('brush-size').fill('20');
    await drag([100, 200], [300, 200], 20);
    await saved();
    const rows = await list(ids[0]);
    expect(rows).toHaveLength(1);
    const g = rows[0].geometry;
    if (g.type !== 'mask') throw new Error('not a mask');
    expect([g.width, g.height]).toEqual([W, H]);
    const m = decodeRle(g);
    const at = (x: number, y: number) => m[y * W + x];
    expect(at(200, 200)).toBe(1);
    expect(at(105, 205)).toBe(1);
    expect(at(200, 230)).toBe(0);
    expect(at(400, 200)).toBe(0);
    await page.keyboard.press('e');
    await drag([200, 170], [200, 230], 10);
    await saved();
    const after = decodeRle((await list(ids[0]))[0].geometry as { width: number; height: number; counts: number[] });
    expect(after[200 * W + 200]).toBe(0);
    expect(after[200 * W + 120]).toBe(1);
  });
});

describe('keypoints', () => {
  it('places a class template in order, with an occluded and a skipped point', async () => {
    await clear(ids[0]);
    const store = app.core.store!;
    const face = store.classes.upsert({ name: 'face', keypoints: { names: ['left eye', 'right eye', 'nose', 'mouth'], edges: [[0, 1], [1, 2], [2, 3]] } });
    await page.evaluate(() => (window as unknown as { sightlineEditor: { reload(): Promise<void> } }).sightlineEditor.reload());
    await page.evaluate((id) => (window as unknown as { sightlineEditor: { setActiveClass(id: number): void } }).sightlineEditor.setActiveClass(id), face.id);
    await page.keyboard.press('k');
    await click(200, 150);
    await click(260, 150, { modifiers: ['Shift'] });
    await page.keyboard.press('x');
    await click(230, 230);
    await saved();
    const rows = await list(ids[0]);
    expect(rows).toHaveLength(1);
    const g = rows[0].geometry;
    if (g.type !== 'keypoints') throw new Error('not keypoints');
    expect(g.points).toHaveLength(12);
    near(g.points[0], 200);
    near(g.points[1], 150);
    expect(g.points[2]).toBe(2);
    expect(g.points[5]).toBe(1);
    expect(g.points[8]).toBe(0);
    near(g.points[9], 230);
    expect(g.points[11]).toBe(2);
    expect(rows[0].classId).toBe(face.id);
  });
});

describe('captions, tags and classes', () => {
  it('adds and edits captions and a tag, and renames a class with undo', async () => {
    await clear(ids[0]);
    await page.getByTestId('new-caption').fill('a green square');
    await page.getByTestId('add-caption').click();
    await saved();
    let rows = await list(ids[0]);
    expect(rows.map((r) => r.geometry)).toEqual([{ type: 'caption', text: 'a green square' }]);
    const text = page.getByTestId('caption-text').first();
    await text.fill('a plain green square');
    await text.press('Enter');
    await saved();
    rows = await list(ids[0]);
    expect(rows[0].geometry).toEqual({ type: 'caption', text: 'a plain green square' });
    await page.getByTestId('tag-dog').check();
    await saved();
    rows = await list(ids[0]);
    const dog = app.core.store!.classes.list().find((c) => c.name === 'dog')!;
    expect(rows.filter((r) => r.kind === 'tag').map((r) => r.classId)).toEqual([dog.id]);

    const name = page.getByLabel('Name of class dog');
    await name.fill('puppy');
    await name.press('Enter');
    await saved();
    expect(app.core.store!.classes.list().find((c) => c.id === dog.id)?.name).toBe('puppy');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('Control+z');
    await saved();
    expect(app.core.store!.classes.list().find((c) => c.id === dog.id)?.name).toBe('dog');
  });
});

/** The image the editor shows, by id (null before one is open). */
const shownImage = () => page.evaluate(() => (window as unknown as { sightlineEditor?: { state: { image: { id: number } | null } } }).sightlineEditor?.state.image?.id ?? null);

/**
 * Press a navigation key on image `from` and wait until image `to` is shown with its neighbours known (A, D and N do
 * nothing before that). On a loaded machine a key can land while the editor is still binding the new image's
 * neighbours; then nothing has moved after 3 s and the key is pressed once more. Fails naming the step.
 */
async function navigate(key: string, from: number, to: number): Promise<void> {
  await expect.poll(() => page.getByTestId('viewer-position').textContent(), { timeout: 10_000 }).toMatch(/\d+ \/ \d+/);
  await page.keyboard.press(key);
  const moved = await expect.poll(shownImage, { timeout: 3_000 }).toBe(to).then(() => true, () => false);
  if (!moved && (await shownImage()) === from) await page.keyboard.press(key);
  await expect.poll(shownImage, { timeout: 10_000, message: `${key} on image ${from} should show image ${to}` }).toBe(to);
  await expect.poll(() => page.getByTestId('viewer-position').textContent(), { timeout: 10_000 }).toMatch(/\d+ \/ \d+/);
}

describe('navigation', () => {
  it('D goes to the next image keeping the tool; paste propagates a box; ? lists the shortcuts', async () => {
    await openImage(ids[0]);
    await clear(ids[0]);
    await page.keyboard.press('b');
    await drag([50, 60], [150, 160]);
    await saved();
    await page.keyboard.press('v');
    await click(100, 100);
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Escape');
    await navigate('d', ids[0], ids[1]);
    expect(await page.getByTestId('tool-select').getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Control+v');
    await expect.poll(async () => (await list(ids[1])).length).toBe(1);
    const rows = await list(ids[1]);
    const g = rows[0].geometry;
    if (g.type !== 'box') throw new Error('not a box');
    near(g.x, 50);
    near(g.y, 60);
    // N: the next image without labels (img1 and img2 have some now).
    await navigate('n', ids[1], ids[2]);
    await navigate('a', ids[2], ids[1]);
    // Ctrl+Enter: done, and on to the next image.
    await navigate('Control+Enter', ids[1], ids[2]);
    expect(app.core.store!.images.get(ids[1]).status).toBe('done');
    await page.keyboard.press('?');
    await expect.poll(() => page.getByTestId('help-overlay').isVisible()).toBe(true);
    expect(await page.getByTestId('help-overlay').textContent()).toContain('Ctrl+Z');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('help-overlay').count()).toBe(0);
  });
});

describe('many shapes', () => {
  it('a drag over 500 boxes redraws only what it touched, never every shape per pointer move', async () => {
    const imageId = ids[2];
    const cat = app.core.store!.classes.list().find((c) => c.name === 'cat')!;
    const create = [];
    for (let r = 0; r < 20; r++) {
      for (let c = 0; c < 25; c++) {
        create.push({ imageId, classId: cat.id, kind: 'box' as const, geometry: { type: 'box' as const, x: 10 + c * 25, y: 10 + r * 23, w: 18, h: 15 } });
      }
    }
    await call('annotations.batch', { create });
    await openImage(imageId);
    await page.waitForFunction(() => Number((document.querySelector('[data-testid="editor-stage"]') as HTMLElement)?.dataset.labelsPainted) >= 500);
    await page.keyboard.press('v');
    const stats = () =>
      page.evaluate(() => ({ ...(window as unknown as { sightlineViewer: { painter(): { stats: { fullPaints: number; dirtyRepaints: number } } } }).sightlineViewer.painter().stats }));
    const target = create[5 * 25 + 7].geometry;
    await click(target.x + 9, target.y + 7);
    await page.waitForTimeout(200);
    const before = await stats();
    await drag([target.x + 9, target.y + 7], [target.x + 9 + 12, target.y + 7 + 4], 30);
    await saved();
    // Wait for the repaint of where the box left and landed (a loaded machine may paint later than the save).
    await expect.poll(async () => (await stats()).dirtyRepaints).toBeGreaterThan(before.dirtyRepaints);
    await page.waitForTimeout(200); // and for any later paint, which the bounds below must also count
    const after = await stats();
    // The bitmap of the other 499 boxes was patched where the box left and where it landed, not repainted whole.
    expect(after.fullPaints - before.fullPaints).toBe(0);
    expect(after.dirtyRepaints - before.dirtyRepaints).toBeGreaterThan(0);
    expect(after.dirtyRepaints - before.dirtyRepaints).toBeLessThanOrEqual(8);
    const moved = (await list(imageId)).find((a) => a.geometry.type === 'box' && Math.abs(a.geometry.y - (target.y + 4)) < 1.01 && Math.abs(a.geometry.x - (target.x + 12)) < 1.01);
    expect(moved).toBeDefined();
  });
});

describe('side panels', () => {
  it('sets flags and a track id on the selection, and deletes a class moving its shapes to another', async () => {
    await openImage(ids[0]);
    await clear(ids[0]);
    const store = app.core.store!;
    const tmp = store.classes.upsert({ name: 'tmp' });
    const keep = store.classes.list().find((c) => c.name === 'cat')!;
    await page.evaluate(() => (window as unknown as { sightlineEditor: { reload(): Promise<void> } }).sightlineEditor.reload());
    await page.evaluate((id) => (window as unknown as { sightlineEditor: { setActiveClass(id: number): void } }).sightlineEditor.setActiveClass(id), tmp.id);
    await page.keyboard.press('b');
    await drag([100, 100], [220, 200]);
    await saved();
    await page.getByTestId('flag-occluded').check();
    await saved();
    const track = page.getByTestId('track-id');
    await track.fill('17');
    await track.press('Enter');
    await saved();
    let [row] = await list(ids[0]);
    expect(row.attributes).toEqual({ occluded: true, track_id: 17 });
    expect(row.classId).toBe(tmp.id);

    await page.getByRole('button', { name: 'Delete tmp' }).click();
    await expect.poll(() => page.getByTestId('class-usage').textContent()).toMatch(/1 shape on 1 image use "tmp"/);
    await page.getByRole('group', { name: 'Delete tmp' }).getByLabel(/Move them to/).check();
    await page.getByLabel('Move to class').selectOption(String(keep.id));
    await page.getByTestId('confirm-delete-class').click();
    // The delete asks the server what uses the class before it queues its step: wait for the dialog to close (the
    // step is queued then), or "saved" could be the state from before it.
    await page.getByTestId('confirm-delete-class').waitFor({ state: 'detached' });
    await saved();
    expect(store.classes.list().some((c) => c.name === 'tmp')).toBe(false);
    [row] = await list(ids[0]);
    expect(row.classId).toBe(keep.id);
    // One step takes it back: the class with its id, and the shape in it.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('Control+z');
    await saved();
    expect(store.classes.list().find((c) => c.id === tmp.id)?.name).toBe('tmp');
    [row] = await list(ids[0]);
    expect(row.classId).toBe(tmp.id);
  });

  it('keeps the labels of an image whose file went missing editable, and says the file is missing', async () => {
    const gone = ids[3];
    unlinkSync(path.join(folderPath, 'zz-gone.png'));
    const { jobId } = (await call<{ jobId: string }>('images.rescan', {}));
    await app.core.jobs.wait(jobId);
    expect(app.core.store!.images.get(gone).missing).toBe(true);
    await page.evaluate((i) => (location.hash = `#/image/${i}`), gone);
    // Said twice: the image's details and the editor's notice (the pixels may still show from the browser's cache).
    await expect.poll(() => page.getByText('File missing').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('editor-notice').textContent()).toMatch(/missing; its labels stay editable/);
    await expect.poll(() => page.getByTestId('viewer-stage').getAttribute('data-scale').then(Number)).toBeGreaterThan(0);
    await page.keyboard.press('b');
    await drag([40, 40], [140, 120]);
    await saved();
    const rows = await list(gone);
    expect(rows).toHaveLength(1);
    const g = rows[0].geometry;
    if (g.type !== 'box') throw new Error('not a box');
    near(g.x, 40);
    near(g.w, 100);
  });
});
