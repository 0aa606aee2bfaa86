/**
 * For the editor's tests only (never imported by the app): a real core on a real project in a temp folder, the
 * editor's transport over it, and pointer/key input helpers. The transport is the core's own `dispatch` (arguments
 * checked against the contract's schemas, as over IPC or HTTP), so nothing of ours is mocked.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { CallName, CallRequest, CallResponse, EventPayload, ImageRow } from '../../common/api/contract.js';
import { AppCore } from '../../electron/core/app.js';
import { Editor, type EditorOptions } from './editor.js';
import type { EditorTransport, KeyInput, PointerInput, Shape } from './types.js';

export interface TestProject {
  dir: string;
  file: string;
  core: AppCore;
  transport: EditorTransport;
  /** Images by file name, sorted: 'a.png' 200×100, 'b.png' 80×60 (as listed by the core). */
  images: Record<string, ImageRow>;
  /** Close the core and open a new one on the same project file (an app restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** The core's dispatch as an editor transport, with the core's project events. */
export function coreTransport(getCore: () => AppCore): EditorTransport {
  return {
    call: <K extends CallName>(name: K, args: CallRequest<K>) => getCore().dispatch(name, args) as Promise<CallResponse<K>>,
    onProject: (listener: (e: EventPayload<'project'>) => void) =>
      getCore().onEvent((event, payload) => {
        if (event === 'project') listener(payload as EventPayload<'project'>);
      }),
  };
}

export async function makeProject(sizes: Record<string, [number, number]> = { 'a.png': [200, 100], 'b.png': [80, 60] }): Promise<TestProject> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-editor-'));
  const photos = path.join(dir, 'photos');
  mkdirSync(photos);
  for (const [name, [w, h]] of Object.entries(sizes)) {
    await sharp({ create: { width: w, height: h, channels: 3, background: { r: 40, g: 90, b: 160 } } })
      .png()
      .toFile(path.join(photos, name));
  }
  const appData = path.join(dir, 'appdata');
  const file = path.join(dir, 'p.sightline');
  let core = new AppCore({ appDataDir: appData, transport: 'http' });
  const { jobId } = (await core.dispatch('projects.create', { path: file, folder: photos })) as { jobId: string };
  await core.jobs.wait(jobId);
  const list = (await core.dispatch('images.list', {})) as { items: ImageRow[] };
  const images = Object.fromEntries(list.items.map((i) => [path.basename(i.relPath), i]));
  const project: TestProject = {
    dir,
    file,
    get core() {
      return core;
    },
    transport: coreTransport(() => core),
    images,
    async restart() {
      await core.close();
      core = new AppCore({ appDataDir: appData, transport: 'http' });
      await core.dispatch('projects.open', { path: file });
    },
    async close() {
      await core.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return project;
}

/** An editor on the project's transport, with shortened save retries. */
export function makeEditor(p: { transport: EditorTransport }, opts: Partial<EditorOptions> = {}): Editor {
  return new Editor({ transport: p.transport, retryBaseMs: 5, retryMaxMs: 20, now: () => 1_000, ...opts });
}

let clock = 10_000;

/** A pointer event in image pixels at zoom 1, left button, no modifiers, time moving on 1 s per event. */
export function pt(x: number, y: number, o: Partial<PointerInput> = {}): PointerInput {
  clock += 1000;
  return { x, y, button: 0, shift: false, ctrl: false, alt: false, scale: 1, time: clock, ...o };
}

export function key(k: string, o: Partial<KeyInput> = {}): KeyInput {
  return { key: k, ctrl: false, shift: false, alt: false, ...o };
}

/** Press at `from`, move in `steps` even steps to `to`, release there. */
export function drag(ed: Editor, from: [number, number], to: [number, number], steps = 5, o: Partial<PointerInput> = {}): void {
  ed.pointerDown(pt(from[0], from[1], o));
  for (let i = 1; i <= steps; i++) ed.pointerMove(pt(from[0] + ((to[0] - from[0]) * i) / steps, from[1] + ((to[1] - from[1]) * i) / steps, o));
  ed.pointerUp(pt(to[0], to[1], o));
}

export function click(ed: Editor, x: number, y: number, o: Partial<PointerInput> = {}): void {
  ed.pointerDown(pt(x, y, o));
  ed.pointerUp(pt(x, y, o));
}

/** Classes cat, dog and person (person has a 3-point keypoint template), made through the core. */
export async function seedClasses(p: TestProject): Promise<{ cat: number; dog: number; person: number }> {
  const cat = await p.transport.call('classes.upsert', { name: 'cat' });
  const dog = await p.transport.call('classes.upsert', { name: 'dog' });
  const person = await p.transport.call('classes.upsert', {
    name: 'person',
    keypoints: { names: ['nose', 'left_eye', 'right_eye'], edges: [[0, 1], [0, 2]] },
  });
  return { cat: cat.id, dog: dog.id, person: person.id };
}

/** The image's annotations as the server has them, in the editor's shape form (no times), by id. */
export async function serverShapes(p: TestProject, imageId: number): Promise<Shape[]> {
  const list = await p.transport.call('annotations.list', { imageId });
  return list
    .map((a) => ({ id: a.id, imageId: a.imageId, classId: a.classId, kind: a.kind, geometry: a.geometry, attributes: a.attributes, origin: a.origin, derivedFrom: a.derivedFrom }))
    .sort((a, b) => a.id - b.id);
}

/** The editor's shapes, sorted by id. */
export function localShapes(ed: Editor): Shape[] {
  return [...ed.state.shapes.values()].sort((a, b) => a.id - b.id);
}
