/**
 * Crash safety (issue 7): the real `sightline serve` as a child process takes edits over HTTP from four windows at
 * once (one image each, one write in flight per window, as the editor does), and is killed with SIGKILL in the
 * middle. Reopened, the project holds every acknowledged edit (each image equals a model of what was acknowledged;
 * an edit still in flight at the kill may or may not be there, but whole or not at all), its history matches, and
 * undo still works through a fresh core.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AnnotationState, EditChange, EditStep } from '../common/api/contract.js';
import { mulberry32 } from '../common/random.js';
import { AppCore } from '../electron/core/app.js';
import { ProjectStore } from '../electron/core/project/store.js';
import { createHttpClient, type HttpClient } from '../electron/server/client.js';

const ROOT = path.resolve(__dirname, '..');
const TOTAL = 200;
const KILL_AFTER = 120;
const WINDOWS = 4;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-crash-'));
let child: ChildProcessWithoutNullStreams | null = null;
afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

type Shapes = Map<number, AnnotationState>;
interface Model {
  shapes: Shapes;
  undo: { key: string; changes: EditChange[] }[];
  redo: { key: string; changes: EditChange[] }[];
}
type Op = { kind: 'apply'; step: EditStep } | { kind: 'undo' | 'redo'; key: string };

function setAll(shapes: Shapes, changes: EditChange[], side: 'before' | 'after'): void {
  const list = side === 'after' ? changes : [...changes].reverse();
  for (const c of list) {
    if (c.t !== 'annotation') continue;
    const s = c[side];
    if (s === null) shapes.delete(c.id);
    else shapes.set(c.id, s);
  }
}

/** The model after an operation was acknowledged. */
function perform(m: Model, op: Op): Model {
  const next: Model = { shapes: new Map(m.shapes), undo: [...m.undo], redo: [...m.redo] };
  if (op.kind === 'apply') {
    setAll(next.shapes, op.step.changes, 'after');
    next.undo.push({ key: op.step.key, changes: op.step.changes });
    next.redo = [];
  } else if (op.kind === 'undo') {
    const s = next.undo.pop()!;
    setAll(next.shapes, s.changes, 'before');
    next.redo.unshift(s);
  } else {
    const s = next.redo.shift()!;
    setAll(next.shapes, s.changes, 'after');
    next.undo.push(s);
  }
  return next;
}

function project(file: string, images: number): number[] {
  const s = ProjectStore.open(file, { create: true });
  s.db.prepare('INSERT INTO image_roots (id, path, added_at) VALUES (1, ?, 0)').run(path.join(tmp, 'photos'));
  const ins = s.db.prepare(
    `INSERT INTO images (root_id, rel_path, width, height, format, byte_size, mtime_ms, content_hash, added_at)
     VALUES (1, ?, 640, 480, 'jpeg', 1, 0, ?, 0)`,
  );
  const ids = Array.from({ length: images }, (_, i) => Number(ins.run(`img${i}.jpg`, String(i).repeat(64)).lastInsertRowid));
  s.close();
  return ids;
}

/** Start `sightline serve` and read its URL (the first line); the token is in the URL or, where supported, the env. */
async function serve(file: string): Promise<HttpClient> {
  const token = randomBytes(24).toString('base64url');
  child = spawn(process.execPath, [path.join(ROOT, 'bin/sightline.mjs'), 'serve', '--project', file, '--port', '0'], {
    cwd: tmp,
    env: { ...process.env, SIGHTLINE_HOME: path.join(tmp, 'home'), SIGHTLINE_TOKEN: token },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child!.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl).trim());
    });
    child!.once('exit', (c) => reject(new Error(`sightline serve exited (${c}) before printing its URL: ${stderr}`)));
  });
  const url = new URL(line);
  if (!url.searchParams.get('token')) url.searchParams.set('token', token);
  return createHttpClient(url.toString());
}

describe('kill -9 in the middle of 200 edits', () => {
  it('loses no acknowledged edit, keeps the history consistent, and undo still works', async () => {
    const file = path.join(tmp, 'crash.sightline');
    const images = project(file, WINDOWS);
    const api = await serve(file);
    const rnd = mulberry32(7);

    // Ids as the editor gets them: reserved in blocks, before the steps that use them.
    const pool: number[] = [];
    const takeId = async () => {
      if (!pool.length) {
        const r = await api.call('edits.reserveIds', { table: 'annotations', count: 25 });
        for (let i = 0; i < r.count; i++) pool.push(r.first + i);
      }
      return pool.shift()!;
    };

    const models = new Map<number, Model>(images.map((id) => [id, { shapes: new Map(), undo: [], redo: [] }]));
    const pending = new Map<number, Op>();
    let sent = 0;
    let acked = 0;
    let killedAt = -1;
    let pendingAtKill = 0;
    let stepNo = 0;

    const box = (imageId: number): AnnotationState => ({
      imageId,
      classId: null,
      kind: 'box',
      geometry: { type: 'box', x: Math.round(rnd() * 600), y: Math.round(rnd() * 440), w: 1 + Math.round(rnd() * 39), h: 1 + Math.round(rnd() * 39) },
      attributes: { n: stepNo },
      origin: 'manual',
      derivedFrom: null,
    });

    const nextOp = async (imageId: number): Promise<Op> => {
      const m = models.get(imageId)!;
      const ids = [...m.shapes.keys()];
      const roll = rnd();
      const key = `crash-${String(++stepNo).padStart(4, '0')}-${imageId}`;
      if (m.redo.length && roll < 0.05) return { kind: 'redo', key: m.redo[0].key };
      if (m.undo.length && roll < 0.15) return { kind: 'undo', key: m.undo[m.undo.length - 1].key };
      if (!ids.length || roll < 0.5) {
        // Sometimes two shapes in one step (a paste): both or neither must survive.
        const n = roll < 0.25 ? 2 : 1;
        const changes: EditChange[] = [];
        for (let i = 0; i < n; i++) changes.push({ t: 'annotation', id: await takeId(), before: null, after: box(imageId) });
        return { kind: 'apply', step: { key, label: 'Draw box', changes } };
      }
      const id = ids[Math.floor(rnd() * ids.length)];
      const before = m.shapes.get(id)!;
      if (roll < 0.85) return { kind: 'apply', step: { key, label: 'Move box', changes: [{ t: 'annotation', id, before, after: { ...box(imageId), attributes: before.attributes } }] } };
      return { kind: 'apply', step: { key, label: 'Delete box', changes: [{ t: 'annotation', id, before, after: null }] } };
    };

    const kill = () => {
      if (killedAt >= 0) return;
      killedAt = acked;
      pendingAtKill = pending.size;
      child!.kill('SIGKILL');
    };

    // One window per image, one write in flight each: the editor's own discipline.
    const window = async (imageId: number) => {
      while (sent < TOTAL && killedAt < 0) {
        let op: Op;
        try {
          op = await nextOp(imageId); // may reserve ids from the server
        } catch (e) {
          if (killedAt >= 0) return; // the server died while this window reserved ids: nothing was sent
          throw e;
        }
        if (killedAt >= 0) return;
        sent++;
        pending.set(imageId, op);
        try {
          if (op.kind === 'apply') await api.call('edits.apply', { imageId, step: op.step, client: `w${imageId}` });
          else await api.call(op.kind === 'undo' ? 'edits.undo' : 'edits.redo', { imageId, key: op.key, client: `w${imageId}` });
        } catch (e) {
          if (killedAt >= 0) return; // the server is gone: this write was never acknowledged
          throw e;
        }
        models.set(imageId, perform(models.get(imageId)!, op));
        pending.delete(imageId);
        // Killed at the first acknowledgement from KILL_AFTER on at which another window has a write in flight (on a
        // busy machine the others may all be between writes at exactly the KILL_AFTER-th).
        if (++acked >= KILL_AFTER && pending.size > 0) kill();
      }
    };
    await Promise.all(images.map(window));
    kill(); // (a no-op when it happened; otherwise the checks below say why it did not)
    await new Promise<void>((resolve) => (child!.exitCode !== null || child!.signalCode !== null ? resolve() : child!.once('exit', () => resolve())));
    expect(child!.signalCode).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(sent).toBeLessThan(TOTAL); // killed in the middle, not after the last edit
    // And with writes in flight at that moment. (One whose answer had already reached this process when the kill was
    // sent is still acknowledged afterwards, so `pending` may be smaller now, even empty.)
    expect(pendingAtKill).toBeGreaterThan(0);
    expect(pending.size).toBeLessThanOrEqual(pendingAtKill);

    // Reopen the file the killed process left (with its -wal): every acknowledged edit is there.
    const store = ProjectStore.open(file);
    let inFlightLanded = 0;
    for (const imageId of images) {
      const acknowledged = models.get(imageId)!;
      const op = pending.get(imageId);
      const withPending = op ? perform(acknowledged, op) : null;
      const actual = new Map(
        store.annotations.listForImage(imageId).map((a) => [
          a.id,
          { imageId: a.imageId, classId: a.classId, kind: a.kind, geometry: a.geometry, attributes: a.attributes, origin: a.origin, derivedFrom: a.derivedFrom },
        ]),
      );
      const h = store.edits.history(imageId);
      const history = { undo: h.undo.map((e) => e.key), redo: h.redo.map((e) => e.key) };
      const keysOf = (m: Model) => ({ undo: m.undo.map((s) => s.key), redo: m.redo.map((s) => s.key) });
      const sorted = (m: Map<number, AnnotationState>) => [...m.entries()].sort((a, b) => a[0] - b[0]);
      const matches = (m: Model) => JSON.stringify(sorted(actual)) === JSON.stringify(sorted(m.shapes)) && JSON.stringify(history) === JSON.stringify(keysOf(m));
      if (matches(acknowledged)) continue;
      expect(withPending && matches(withPending), `image ${imageId}: the project holds neither the acknowledged state nor it plus the write in flight`).toBe(true);
      inFlightLanded++;
      models.set(imageId, withPending!);
    }
    expect(inFlightLanded).toBeLessThanOrEqual(pending.size);
    expect(store.summary().annotations).toBe([...models.values()].reduce((n, m) => n + m.shapes.size, 0));
    store.close();

    // Undo still works, through a fresh core as the app would open the project.
    const core = new AppCore({ appDataDir: path.join(tmp, 'appdata'), transport: 'http' });
    try {
      await core.openProject(file);
      const imageId = images.find((id) => models.get(id)!.undo.length > 0)!;
      const last = models.get(imageId)!.undo.at(-1)!;
      const r = (await core.dispatch('edits.undo', { imageId, key: last.key })) as { applied: boolean };
      expect(r.applied).toBe(true);
      const expected = perform(models.get(imageId)!, { kind: 'undo', key: last.key });
      const rows = (await core.dispatch('annotations.list', { imageId })) as { id: number; geometry: unknown }[];
      expect(new Map(rows.map((a) => [a.id, a.geometry]))).toEqual(new Map([...expected.shapes].map(([id, s]) => [id, s.geometry])));
      // And the ids the dead server handed out are never handed out again.
      const { first } = (await core.dispatch('edits.reserveIds', { table: 'annotations', count: 1 })) as { first: number };
      const used = [...models.values()].flatMap((m) => [...m.shapes.keys()]);
      expect(first).toBeGreaterThan(Math.max(...used, ...pool));
    } finally {
      await core.close();
    }
  }, 120_000);
});
