/**
 * The editor's calls (edits.*, classes.usage) over the real HTTP server and core: a real project, the events on the
 * WebSocket with the writing window's `client`, and the CLI's annotation count after the edits.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type AnnotationState, type EventPayload, type Job } from '../common/api/contract.js';
import { AppCore } from '../electron/core/app.js';
import { startServer, type RunningServer } from '../electron/server/http.js';
import { createHttpClient, type EventSubscription, type HttpClient } from '../electron/server/client.js';
import { expectApiError } from './expect-api-error.js';

const ROOT = path.resolve(__dirname, '..');
let tmp: string;
let projectFile: string;
let core: AppCore;
let server: RunningServer;
let api: HttpClient;
let events: EventSubscription;
const seen: EventPayload<'project'>[] = [];
let imageA: number;
let imageB: number;

/** Wait until an event matching `pred` has arrived (events are pushed, not answered, so they may trail the call). */
async function eventWhere(pred: (e: EventPayload<'project'>) => boolean): Promise<EventPayload<'project'>> {
  for (let i = 0; i < 200; i++) {
    const e = seen.find(pred);
    if (e) return e;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no such event; got ${JSON.stringify(seen)}`);
}

const box = (imageId: number, x: number, classId: number | null = null): AnnotationState => ({
  imageId,
  classId,
  kind: 'box',
  geometry: { type: 'box', x, y: 5, w: 20, h: 10 },
  attributes: {},
  origin: 'manual',
  derivedFrom: null,
});

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-edits-api-'));
  const photos = path.join(tmp, 'photos');
  mkdirSync(photos);
  for (const f of ['chelsea.jpg', 'coffee.jpg']) cpSync(path.join(ROOT, 'test/fixtures/images', f), path.join(photos, f));
  core = new AppCore({ appDataDir: path.join(tmp, 'appdata'), transport: 'http' });
  server = await startServer({ host: core });
  api = createHttpClient(server.url);
  projectFile = path.join(tmp, 'p.sightline');
  const { jobId } = await api.call('projects.create', { path: projectFile, folder: photos });
  for (;;) {
    const job: Job = await api.call('jobs.get', { id: jobId! });
    if (job.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const list = await api.call('images.list', {});
  [imageA, imageB] = list.items.map((i) => i.id);
  events = await api.events((event, payload) => {
    if (event === 'project') seen.push(payload as EventPayload<'project'>);
  });
});

afterAll(async () => {
  await events?.close();
  await server?.close();
  await core?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('edits over HTTP', () => {
  it('reserve, apply, history, undo, redo: a round trip', async () => {
    const ids = await api.call('edits.reserveIds', { table: 'annotations', count: 3 });
    expect(ids).toEqual({ first: expect.any(Number), count: 3 });
    const more = await api.call('edits.reserveIds', { table: 'annotations', count: 2 });
    expect(more.first).toBeGreaterThanOrEqual(ids.first + 3);

    const draw = { key: 'http-draw-0001', label: 'Draw box', changes: [{ t: 'annotation' as const, id: ids.first, before: null, after: box(imageA, 10) }] };
    const r = await api.call('edits.apply', { imageId: imageA, step: draw, client: 'window-A' });
    expect(r).toEqual({ seq: expect.any(Number), status: 'in_progress', applied: true });
    expect((await api.call('images.get', { id: imageA })).status).toBe('in_progress');
    expect(await api.call('edits.apply', { imageId: imageA, step: draw, client: 'window-A' })).toEqual({ ...r, applied: false });

    const move = { key: 'http-move-0002', label: 'Move box', changes: [{ t: 'annotation' as const, id: ids.first, before: box(imageA, 10), after: box(imageA, 30) }] };
    const r2 = await api.call('edits.apply', { imageId: imageA, step: move, client: 'window-A' });
    expect(r2.seq).toBeGreaterThan(r.seq);
    const [stored] = await api.call('annotations.list', { imageId: imageA });
    expect(stored).toMatchObject({ id: ids.first, geometry: { type: 'box', x: 30 } });

    const h = await api.call('edits.history', { imageId: imageA });
    expect(h).toEqual({
      imageId: imageA,
      undo: [
        { seq: r.seq, key: draw.key, label: 'Draw box', changes: draw.changes, at: expect.any(Number) },
        { seq: r2.seq, key: move.key, label: 'Move box', changes: move.changes, at: expect.any(Number) },
      ],
      redo: [],
    });

    await expectApiError(api.call('edits.undo', { imageId: imageA, key: draw.key, client: 'window-B' }), 'conflict', /another window changed this image's history/);
    expect(await api.call('edits.undo', { imageId: imageA, key: move.key, client: 'window-A' })).toEqual({ seq: r2.seq, applied: true });
    expect((await api.call('annotations.list', { imageId: imageA }))[0].geometry).toMatchObject({ x: 10 });
    expect(await api.call('edits.undo', { imageId: imageA, key: move.key })).toEqual({ seq: r2.seq, applied: false });
    expect((await api.call('edits.history', { imageId: imageA })).redo.map((e) => e.key)).toEqual([move.key]);
    expect(await api.call('edits.redo', { imageId: imageA, key: move.key, client: 'window-A' })).toEqual({ seq: r2.seq, applied: true });
    expect((await api.call('annotations.list', { imageId: imageA }))[0].geometry).toMatchObject({ x: 30 });
  });

  it("each applied edit is a project event naming its images and the writing window's client", async () => {
    seen.length = 0;
    const { first } = await api.call('edits.reserveIds', { table: 'annotations', count: 1 });
    await api.call('edits.apply', {
      imageId: imageB,
      step: { key: 'http-event-0003', label: 'Draw', changes: [{ t: 'annotation', id: first, before: null, after: box(imageB, 0) }] },
      client: 'window-B',
    });
    const e = await eventWhere((p) => p.reason === 'annotations');
    expect(e).toEqual({ reason: 'annotations', imageIds: [imageB], client: 'window-B' });
    expect(e.project).toBeUndefined();
    await api.call('edits.undo', { imageId: imageB, key: 'http-event-0003', client: 'window-C' });
    await eventWhere((p) => p.reason === 'annotations' && p.client === 'window-C');
  });

  it('class steps: a classes event too; classes.usage lists what a class holds; delete + reclass undone over HTTP', async () => {
    seen.length = 0;
    const { first: classId } = await api.call('edits.reserveIds', { table: 'classes', count: 1 });
    const person = { name: 'person', color: '#ff0000', hotkey: '1', position: 0, keypoints: { names: ['head', 'hip'], edges: [[0, 1]] as [number, number][] } };
    await api.call('edits.apply', { imageId: imageA, step: { key: 'http-class-0004', label: 'Add class', changes: [{ t: 'class', id: classId, before: null, after: person }] }, client: 'w' });
    const ce = await eventWhere((p) => p.reason === 'classes');
    expect(ce.client).toBe('w');
    expect(ce.project?.classes).toBe(1);
    expect(await api.call('classes.list')).toEqual([{ id: classId, ...person }]);

    const { first } = await api.call('edits.reserveIds', { table: 'annotations', count: 2 });
    await api.call('edits.apply', { imageId: imageA, step: { key: 'http-label-0005', label: 'Draw', changes: [{ t: 'annotation', id: first, before: null, after: box(imageA, 1, classId) }] } });
    await api.call('edits.apply', { imageId: imageB, step: { key: 'http-label-0006', label: 'Draw', changes: [{ t: 'annotation', id: first + 1, before: null, after: box(imageB, 1, classId) }] } });
    const usage = await api.call('classes.usage', { id: classId });
    expect(usage).toEqual({ annotations: 2, images: 2, ids: [first, first + 1] });
    await expectApiError(api.call('classes.usage', { id: 987654 }), 'not_found', /Class 987654 does not exist/);

    const del = {
      key: 'http-delete-0007',
      label: 'Delete class person',
      changes: [
        { t: 'reclass' as const, ids: usage.ids, from: classId, to: null },
        { t: 'class' as const, id: classId, before: person, after: null },
      ],
    };
    seen.length = 0;
    await api.call('edits.apply', { imageId: imageA, step: del, client: 'w' });
    const ae = await eventWhere((p) => p.reason === 'annotations');
    expect(ae.imageIds?.sort()).toEqual([imageA, imageB].sort());
    expect(await api.call('classes.list')).toEqual([]);
    await api.call('edits.undo', { imageId: imageA, key: del.key });
    expect(await api.call('classes.list')).toEqual([{ id: classId, ...person }]);
    expect((await api.call('annotations.list', { imageId: imageB })).find((a) => a.id === first + 1)?.classId).toBe(classId);
  });

  it('refusals: bad geometry names the change, an unknown image is not found', async () => {
    await expectApiError(
      api.call('edits.apply', {
        imageId: imageA,
        step: { key: 'http-bad-0008', label: 'x', changes: [{ t: 'annotation', id: 1, before: null, after: { ...box(imageA, 0), geometry: { type: 'box', x: 0, y: 0, w: 0, h: 3 } } }] },
      }),
      'bad_request',
      /change 0: annotation 1 \(after\): a box needs a width and a height above 0/,
    );
    await expectApiError(
      api.call('edits.apply', {
        imageId: imageA,
        step: { key: 'http-bad-0009', label: 'x', changes: [{ t: 'annotation', id: 1, before: null, after: { ...box(imageA, 0), kind: 'polygon', geometry: { type: 'polygon', points: [0, 0, 1, 1] } } }] },
      }),
      'bad_request',
      /step\.changes\.0\.after/,
    );
    await expectApiError(api.call('edits.history', { imageId: 424242 }), 'not_found', /Image 424242 is not in this project/);
  });

  it('`sightline info --json` counts the annotations the edits left, and an edit after close gets no_project', async () => {
    const expected = (await api.call('annotations.list', { imageId: imageA })).length + (await api.call('annotations.list', { imageId: imageB })).length;
    expect(expected).toBe(3);
    await api.call('projects.close');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/sightline.mjs'), 'info', '--project', projectFile, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, SIGHTLINE_HOME: path.join(tmp, 'cli-home') },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ annotations: expected, classes: 1 });
    await expectApiError(
      api.call('edits.apply', { imageId: imageA, step: { key: 'http-late-0010', label: 'late', changes: [{ t: 'annotation', id: 1, before: null, after: box(imageA, 0) }] } }),
      'no_project',
      /No project is open/,
    );
    await expectApiError(api.call('edits.reserveIds', { table: 'annotations', count: 1 }), 'no_project', /No project is open/);
  });
});
