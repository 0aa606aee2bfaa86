/**
 * The annotation editor in Chromium: a 4000×3000 photo-sized image with 5,000 boxes and 1,000 polygons of 50
 * vertices. Frame times while panning and zooming (with the labels hidden as the baseline, same page, same run),
 * the time from pointer-up to the saved acknowledgement of a new box, and the time to open the image and paint all
 * of its shapes.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { AnnotationInput } from '../common/api/contract.js';
import { AppCore } from '../electron/core/app.js';
import { startServer } from '../electron/server/http.js';
import { DIST, launchChromium } from '../test/e2e/chromium.js';
import { log, prng, round, withWorkDir, type Bench, type Row } from './util.js';

const W = 4000;
const H = 3000;
const BOXES = 5000;
const POLYGONS = 1000;
const VERTICES = 50;
const FRAMES = 240;
const SAVES = 15;
const SEED = 20261206;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
}

export function makeShapes(imageId: number, classIds: number[], seed = SEED): AnnotationInput[] {
  const rnd = prng(seed);
  const out: AnnotationInput[] = [];
  for (let i = 0; i < BOXES; i++) {
    const w = 10 + rnd() * 150;
    const h = 10 + rnd() * 150;
    out.push({
      imageId,
      classId: classIds[i % classIds.length],
      kind: 'box',
      geometry: { type: 'box', x: rnd() * (W - w), y: rnd() * (H - h), w, h },
    });
  }
  for (let i = 0; i < POLYGONS; i++) {
    const r = 20 + rnd() * 120;
    const cx = r + rnd() * (W - 2 * r);
    const cy = r + rnd() * (H - 2 * r);
    const points: number[] = [];
    for (let v = 0; v < VERTICES; v++) {
      const a = (v / VERTICES) * Math.PI * 2;
      const rr = r * (0.6 + 0.4 * rnd());
      points.push(round(cx + Math.cos(a) * rr, 2), round(cy + Math.sin(a) * rr, 2));
    }
    out.push({ imageId, classId: classIds[i % classIds.length], kind: 'polygon', geometry: { type: 'polygon', points } });
  }
  return out;
}

/** What the page measures: rAF intervals and the synchronous draw of each frame, for one viewport path. */
interface FrameStats {
  intervals: number[];
  draws: number[];
}

export const editorBench: Bench = {
  id: 'editor',
  title: 'Annotation editor in Chromium: 4000×3000 image, 5,000 boxes + 1,000 polygons of 50 vertices',
  labels: {
    'editor.frame_median': 'pan + zoom, median frame interval (requestAnimationFrame), labels shown (goal ≤ 16.7 ms and ≤ 1.5× baseline)',
    'editor.frame_p95': 'pan + zoom, 95th-percentile frame interval, labels shown (goal ≤ 33 ms)',
    'editor.draw_median': 'pan + zoom, median synchronous stage draw per frame, labels shown',
    'editor.draw_p95': 'pan + zoom, 95th-percentile synchronous stage draw per frame, labels shown',
    'editor.save_ack_median': 'pointer-up of a new box → saved acknowledgement, median (goal ≤ 250 ms)',
    'editor.save_ack_p95': 'pointer-up of a new box → saved acknowledgement, 95th percentile',
    'editor.open_first_paint': 'open the image from the library → all 6,000 shapes painted (goal ≤ 500 ms)',
    'editor.full_paint': 'one full paint of every shape into the label bitmap, median of 5 (what a pan over the bitmap avoids)',
  },
  method: [
    `Inputs: one ${W}×${H} JPEG (generated with sharp), ${BOXES.toLocaleString()} boxes (10–160 px) and ${POLYGONS.toLocaleString()} polygons of ${VERTICES} vertices (radius 20–140 px), 10 classes, seeded; written with annotations.batch into a fresh project, served in browser mode, opened in Debian's Chromium (headless, software rendering, --disable-gpu) at 1280×800.`,
    `Frames: ${FRAMES} animation frames along one path (pan right, pan left, zoom in ×1.02 per frame, zoom out) starting from the fitted view; each frame sets the viewport and draws the Konva stage synchronously. Frame interval = time between successive requestAnimationFrame callbacks; draw = the synchronous draw's JS time. Baseline: the same path on the same page with the labels hidden (H), in the same run, before and after (better of the two).`,
    `Save: ${SAVES} boxes drawn with the mouse (Playwright) in empty corners; time from the page's pointerup event to the editor reporting every step saved (the server answered edits.apply).`,
    'Open: from setting location.hash to #/image/<id> (the app already loaded on the library) until the stage reports that a full paint drew every shape (data-labels-painted), read from the page clock.',
  ],
  async run() {
    return withWorkDir('editor', async (dir) => {
      const folder = path.join(dir, 'images');
      mkdirSync(folder);
      await sharp({ create: { width: W, height: H, channels: 3, background: { r: 90, g: 110, b: 100 } } })
        .composite([{ input: Buffer.from(`<svg width="${W}" height="${H}"><rect x="300" y="300" width="1800" height="1200" fill="#c8b07a"/><circle cx="2900" cy="1900" r="700" fill="#3b5f8a"/></svg>`) }])
        .jpeg({ quality: 85 })
        .toFile(path.join(folder, 'big.jpg'));
      const core = new AppCore({ appDataDir: path.join(dir, 'home'), transport: 'http' });
      const { jobId } = await core.openFolder(folder);
      if (jobId) await core.jobs.wait(jobId);
      const store = core.store!;
      const image = store.images.list({ offset: 0, limit: 1, filter: {}, sort: { by: 'path', dir: 'asc' } }).items[0];
      const classIds = Array.from({ length: 10 }, (_, i) => store.classes.upsert({ name: `class ${i + 1}` }).id);
      const t0 = performance.now();
      await core.dispatch('annotations.batch', { create: makeShapes(image.id, classIds) });
      log(`  ${BOXES + POLYGONS} shapes written in ${round(performance.now() - t0, 0)} ms`);
      const server = await startServer({ host: core, staticDir: DIST });
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('crash', () => errors.push('the page crashed'));
        // tsx compiles this file keeping function names through an `__name` helper the page does not have.
        await page.addInitScript({ content: 'window.__name = (f) => f;' });
        await page.goto(server.url);
        await page.waitForSelector('[data-testid="library-grid"], .library, .grid', { timeout: 30_000 }).catch(() => undefined);

        // ---- open + first paint
        const opened = await page.evaluate(
          async ({ id, total }) => {
            const start = performance.now();
            location.hash = `#/image/${id}`;
            for (;;) {
              await new Promise((r) => setTimeout(r, 5));
              const el = document.querySelector('[data-testid="editor-stage"]') as HTMLElement | null;
              if (el && Number(el.dataset.labelsPainted) >= total) return Number(el.dataset.labelsPaintedAt) - start;
              if (performance.now() - start > 60_000) throw new Error(`shapes not painted: ${el?.dataset.labelsPainted ?? 'no stage'}`);
            }
          },
          { id: image.id, total: BOXES + POLYGONS },
        );

        // ---- frames
        const path_ = async (hidden: boolean): Promise<FrameStats> =>
          page.evaluate(
            async ({ frames, hidden }) => {
              type Vp = { scale: number; x: number; y: number };
              const hook = (window as unknown as { sightlineViewer: { viewer(): { fit(): void; viewport(): Vp; drawNow(vp: Vp): void } } }).sightlineViewer;
              const ed = (window as unknown as { sightlineEditor: { state: { labelsHidden: boolean }; toggleLabelsHidden(): void } }).sightlineEditor;
              if (ed.state.labelsHidden !== hidden) ed.toggleLabelsHidden();
              const v = hook.viewer();
              v.fit();
              await new Promise((r) => setTimeout(r, 300));
              const start = v.viewport();
              const el = document.querySelector('[data-testid="editor-stage"]') as HTMLElement;
              const cx = el.clientWidth / 2;
              const cy = el.clientHeight / 2;
              const at = (i: number): Vp => {
                const q = frames / 4;
                if (i < q) return { ...start, x: start.x + 6 * i };
                if (i < 2 * q) return { ...start, x: start.x + 6 * (2 * q - i) };
                const steps = i < 3 * q ? i - 2 * q : 4 * q - i;
                const s = start.scale * Math.pow(1.02, steps);
                return { scale: s, x: cx - ((cx - start.x) / start.scale) * s, y: cy - ((cy - start.y) / start.scale) * s };
              };
              const intervals: number[] = [];
              const draws: number[] = [];
              let last: number | null = null;
              for (let i = 0; i < frames; i++) {
                const ts = await new Promise<number>((r) => requestAnimationFrame(r));
                if (last !== null) intervals.push(ts - last);
                last = ts;
                const t0 = performance.now();
                v.drawNow(at(i));
                draws.push(performance.now() - t0);
              }
              if (ed.state.labelsHidden) ed.toggleLabelsHidden();
              return { intervals, draws };
            },
            { frames: FRAMES, hidden },
          );
        const base1 = await path_(true);
        const shown = await path_(false);
        const base2 = await path_(true);
        const baseMedian = Math.min(quantile(base1.intervals, 0.5), quantile(base2.intervals, 0.5));
        const baseP95 = Math.min(quantile(base1.intervals, 0.95), quantile(base2.intervals, 0.95));
        const baseDraw = Math.min(quantile(base1.draws, 0.5), quantile(base2.draws, 0.5));
        const baseDrawP95 = Math.min(quantile(base1.draws, 0.95), quantile(base2.draws, 0.95));

        // ---- one full paint of everything (what the bitmap cache saves on each frame)
        const fullPaint = await page.evaluate(async () => {
          const hook = (window as unknown as {
            sightlineViewer: { viewer(): { fit(): void }; painter(): { onChange(c: { classes: boolean }): void; staticLayer: { draw(): void } } };
          }).sightlineViewer;
          hook.viewer().fit();
          await new Promise((r) => setTimeout(r, 300));
          const el = document.querySelector('[data-testid="editor-stage"]') as HTMLElement;
          const times: number[] = [];
          for (let i = 0; i < 5; i++) {
            // A class change invalidates the whole bitmap: the next draw paints every shape.
            const p = hook.painter();
            p.onChange({ classes: true });
            const before = el.dataset.labelsPaintedAt;
            const t0 = performance.now();
            p.staticLayer.draw();
            const t1 = performance.now();
            if (el.dataset.labelsPaintedAt !== before) times.push(t1 - t0);
            await new Promise((r) => setTimeout(r, 50));
          }
          return times;
        });

        // ---- save acknowledgements
        await page.keyboard.press('b');
        const stage = page.getByTestId('viewer-stage');
        const box = (await stage.boundingBox())!;
        const vp = await stage.evaluate((el: HTMLElement) => ({ s: Number(el.dataset.scale), x: Number(el.dataset.offsetX), y: Number(el.dataset.offsetY) }));
        const acks: number[] = [];
        for (let i = 0; i < SAVES; i++) {
          await page.evaluate(() => {
            const w = window as unknown as { __ack?: Promise<number>; sightlineEditor: { state: { save: { state: string; pending: number } }; subscribe(f: (c: unknown, s: { save: { state: string; pending: number } }) => void): () => void } };
            w.__ack = new Promise<number>((resolve) => {
              let up = 0;
              window.addEventListener('pointerup', () => (up = performance.now()), { once: true, capture: true });
              const off = w.sightlineEditor.subscribe((_c, s) => {
                if (up && s.save.state === 'saved' && s.save.pending === 0) {
                  off();
                  resolve(performance.now() - up);
                }
              });
            });
          });
          // Inside the image, 200 image pixels apart, whatever the fitted scale.
          const x = box.x + vp.x + (200 + (i % 5) * 200) * vp.s;
          const y = box.y + vp.y + (200 + Math.floor(i / 5) * 200) * vp.s;
          await page.mouse.move(x, y);
          await page.mouse.down();
          await page.mouse.move(x + 8, y + 8, { steps: 3 });
          await page.mouse.up();
          acks.push(await page.evaluate(() => (window as unknown as { __ack: Promise<number> }).__ack));
        }
        if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);

        const median = quantile(shown.intervals, 0.5);
        const rows: Row[] = [
          { name: 'editor.frame_median', value: round(median, 2), unit: 'ms', baseline: round(baseMedian, 2), ratio: round(median / baseMedian, 2) },
          { name: 'editor.frame_p95', value: round(quantile(shown.intervals, 0.95), 2), unit: 'ms', baseline: round(baseP95, 2), ratio: round(quantile(shown.intervals, 0.95) / baseP95, 2) },
          { name: 'editor.draw_median', value: round(quantile(shown.draws, 0.5), 2), unit: 'ms', baseline: round(baseDraw, 2), ratio: round(quantile(shown.draws, 0.5) / baseDraw, 2) },
          { name: 'editor.draw_p95', value: round(quantile(shown.draws, 0.95), 2), unit: 'ms', baseline: round(baseDrawP95, 2), ratio: round(quantile(shown.draws, 0.95) / baseDrawP95, 2) },
          { name: 'editor.save_ack_median', value: round(quantile(acks, 0.5), 1), unit: 'ms', baseline: null, ratio: null },
          { name: 'editor.save_ack_p95', value: round(quantile(acks, 0.95), 1), unit: 'ms', baseline: null, ratio: null },
          { name: 'editor.open_first_paint', value: round(opened, 1), unit: 'ms', baseline: null, ratio: null },
          { name: 'editor.full_paint', value: round(quantile(fullPaint, 0.5), 1), unit: 'ms', baseline: null, ratio: null },
        ];
        return {
          rows,
          facts: [
            `Frame intervals, labels shown: median ${round(median, 2)} ms, p95 ${round(quantile(shown.intervals, 0.95), 2)} ms, max ${round(Math.max(...shown.intervals), 1)} ms over ${shown.intervals.length} frames.`,
            `Saves: ${acks.map((a) => round(a, 0)).join(', ')} ms.`,
            `Full paints measured: ${fullPaint.length} (${fullPaint.map((t) => round(t, 1)).join(', ')} ms).`,
          ],
        };
      } finally {
        await browser.close();
        await server.close();
        await core.close();
      }
    });
  },
};
