/**
 * The annotation editor in Chromium: a 4000×3000 photo-sized image with 5,000 boxes and 1,000 polygons of 50
 * vertices. Frame times while panning and zooming (with the labels hidden as the baseline, same page, same run),
 * the time from pointer-up to the saved acknowledgement of a new box, and the time to open the image and paint all
 * of its shapes.
 *
 * EDITOR_BENCH_ONLY=open measures the opens alone (the other editor rows are then carried over from
 * docs/benchmarks.json, and say so); EDITOR_BENCH_OPENS=n sets how many opens the median is taken over.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { AnnotationInput } from '../common/api/contract.js';
import { AppCore } from '../electron/core/app.js';
import { startServer } from '../electron/server/http.js';
import type { Page } from 'playwright-core';
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
/** Opens measured, each in a fresh tab (a new browser context: nothing cached) that has loaded the library. */
const OPENS = Math.max(1, Number(process.env.EDITOR_BENCH_OPENS ?? 9));
const ONLY_OPEN = process.env.EDITOR_BENCH_ONLY === 'open';
const OPEN_ROWS = ['editor.open_first_paint', 'editor.open_full_image'];

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

/** One open, in page-clock milliseconds from setting the address. */
interface OpenTimes {
  /** Every shape painted and the image shown (its preview, or the image itself): the later of the two. */
  firstPaint: number;
  labels: number;
  /** The image first drawn (its thumbnail stretched, while the image itself decodes). */
  image: number;
  /** What that first image was: 'preview' or 'full'. */
  imageKind: string;
  /** The image itself, at full resolution, drawn. */
  fullImage: number;
}

/** What the page measures: rAF intervals and the synchronous draw of each frame, for one viewport path. */
interface FrameStats {
  intervals: number[];
  draws: number[];
}

/** EDITOR_BENCH_ONLY=open: the editor rows it does not measure, as docs/benchmarks.json has them. */
function carriedEditorRows(): Row[] {
  const file = path.resolve(import.meta.dirname, '../docs/benchmarks.json');
  const rows: Row[] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
  return rows.filter((r) => r.name.startsWith('editor.') && !OPEN_ROWS.includes(r.name));
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
    'editor.open_first_paint': `open the image from the library → all 6,000 shapes painted over the image (its preview), median of ${OPENS} (goal ≤ 500 ms)`,
    'editor.open_full_image': `open the image from the library → the image drawn at full resolution, median of ${OPENS}`,
    'editor.full_paint': 'one full paint of every shape into the label bitmap, median of 5 (what a pan over the bitmap avoids)',
  },
  method: [
    `Inputs: one ${W}×${H} JPEG (generated with sharp), ${BOXES.toLocaleString()} boxes (10–160 px) and ${POLYGONS.toLocaleString()} polygons of ${VERTICES} vertices (radius 20–140 px), 10 classes, seeded; written with annotations.batch into a fresh project, served in browser mode, opened in Debian's Chromium (headless, software rendering, --disable-gpu) at 1280×800.`,
    `Frames: ${FRAMES} animation frames along one path (pan right, pan left, zoom in ×1.02 per frame, zoom out) starting from the fitted view; each frame sets the viewport and draws the Konva stage synchronously. Frame interval = time between successive requestAnimationFrame callbacks; draw = the synchronous draw's JS time. Baseline: the same path on the same page with the labels hidden (H), in the same run, before and after (better of the two).`,
    `Save: ${SAVES} boxes drawn with the mouse (Playwright) in empty corners; time from the page's pointerup event to the editor reporting every step saved (the server answered edits.apply).`,
    `Open: from setting location.hash to #/image/<id> until the stage reports that a full paint drew every shape (data-labels-painted) and that the image was drawn under them (data-image-drawn-at), whichever is later, read from the page clock. The image first drawn is the library's 256-px thumbnail stretched over the image (the viewer shows it while the 4000×3000 JPEG decodes); the time until the image itself is drawn is the full-image row. Each open is in a fresh tab (new browser context, nothing cached) that has loaded the library, its thumbnail shown, with no job running; median of ${OPENS} opens.`,
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
        const errors: string[] = [];
        /** A fresh tab (its own browser context: no cache) signed in and showing the library, its thumbnail loaded. */
        const libraryTab = async () => {
          const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
          const page = await context.newPage();
          page.on('pageerror', (e) => errors.push(e.message));
          page.on('crash', () => errors.push('the page crashed'));
          // tsx compiles this file keeping function names through an `__name` helper the page does not have.
          await page.addInitScript({ content: 'window.__name = (f) => f;' });
          await page.goto(server.url);
          await page.waitForFunction(
            () => {
              const imgs = [...document.querySelectorAll('[data-testid="grid-cell"] img')] as HTMLImageElement[];
              return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
            },
            undefined,
            { timeout: 30_000 },
          );
          while (core.jobs.list().some((j) => j.state === 'running')) await new Promise((r) => setTimeout(r, 50));
          await page.waitForTimeout(300);
          return { context, page };
        };
        const openOnce = (page: Page) =>
          page.evaluate(
            async ({ id, total }): Promise<OpenTimes> => {
              const start = performance.now();
              location.hash = `#/image/${id}`;
              // The first full paint of every shape (a later one, after a resize say, would stamp a later time).
              let painted: number | null = null;
              for (;;) {
                await new Promise((r) => setTimeout(r, 5));
                const el = document.querySelector('[data-testid="editor-stage"]') as HTMLElement | null;
                const frame = document.querySelector('[data-testid="viewer-stage"]') as HTMLElement | null;
                if (painted === null && el && Number(el.dataset.labelsPainted) >= total) painted = Number(el.dataset.labelsPaintedAt);
                if (painted !== null && frame?.dataset.fullImageDrawnAt) {
                  const labels = painted - start;
                  const image = Number(frame.dataset.imageDrawnAt) - start;
                  const fullImage = Number(frame.dataset.fullImageDrawnAt) - start;
                  // Drawn first: the preview, unless the image itself came first (then both stamps are the same).
                  const imageKind = image < fullImage ? 'preview' : 'full';
                  return { firstPaint: Math.max(labels, image), labels, image, imageKind, fullImage };
                }
                if (performance.now() - start > 60_000) throw new Error(`not shown: ${el?.dataset.labelsPainted ?? 'no stage'} shapes, image ${frame?.dataset.imageDrawn ?? 'none'}`);
              }
            },
            { id: image.id, total: BOXES + POLYGONS },
          );

        // ---- opens (the last tab stays for the rest)
        const opens: OpenTimes[] = [];
        let page!: Page;
        for (let i = 0; i < OPENS; i++) {
          const tab = await libraryTab();
          opens.push(await openOnce(tab.page));
          if (i < OPENS - 1) await tab.context.close();
          else page = tab.page;
        }
        const openMedian = (f: (o: OpenTimes) => number) => quantile(opens.map(f), 0.5);
        const openRows: Row[] = [
          { name: 'editor.open_first_paint', value: round(openMedian((o) => o.firstPaint), 1), unit: 'ms', baseline: null, ratio: null },
          { name: 'editor.open_full_image', value: round(openMedian((o) => o.fullImage), 1), unit: 'ms', baseline: null, ratio: null },
        ];
        const openFacts = [
          `Opens, ms from setting the address (first paint = the later of all labels painted and the image shown): ${opens.map((o) => `${round(o.firstPaint, 0)} (labels ${round(o.labels, 0)}, ${o.imageKind === 'preview' ? `preview ${round(o.image, 0)}` : 'no preview first'}, full image ${round(o.fullImage, 0)})`).join('; ')}.`,
        ];
        if (ONLY_OPEN) {
          if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
          return { rows: [...openRows, ...carriedEditorRows()], facts: [...openFacts, 'EDITOR_BENCH_ONLY=open: the frame, save and full-paint rows are carried over from the previous run.'] };
        }

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
          ...openRows,
          { name: 'editor.full_paint', value: round(quantile(fullPaint, 0.5), 1), unit: 'ms', baseline: null, ratio: null },
        ];
        return {
          rows,
          facts: [
            ...openFacts,
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
