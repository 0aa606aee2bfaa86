/**
 * Speed of the pure resamplers (common/inference/resample.ts) on a camera-size image:
 * `node bin/run-ts.mjs bench/resample.ts [runs]` prints the median and best of each, in ms, with sharp's linear
 * resize of the same raw buffer (what `antialias` runs) and sharp's full decode of a 12-MP JPEG for scale.
 * Not part of `npm run bench`; the goal is "a 12-MP photo to 640 px in a few tens of milliseconds".
 */
import os from 'node:os';
import sharp from 'sharp';
import { resizeArea, resizeBilinear, resizeNearest } from '../common/inference/resample.js';
import { mulberry32 } from '../common/random.js';

const runs = Number(process.argv[2] ?? 15);
const W = 4000, H = 3000, w = 640, h = 480;

// A smooth image with noise (JPEG-like content; the resamplers' speed does not depend on it).
const rand = mulberry32(1);
const data = new Uint8Array(W * H * 3);
for (let y = 0, i = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++, i++) data[i] = ((x * (c + 1) + y * 2) >> 4) + ((rand() * 32) | 0);
const src = { data, width: W, height: H, channels: 3 as const };

/**
 * Wall time, and the process's CPU time (user + system) per run: on a loaded machine the CPU time of the
 * single-threaded resamplers is what an idle core would take; sharp's CPU time sums its threads.
 */
async function time(name: string, f: () => unknown | Promise<unknown>): Promise<void> {
  await f(); // warm-up: JIT and allocation
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1].toFixed(1).padStart(7);
  const best = (v: number[]) => Math.min(...v).toFixed(1).padStart(7);
  console.log(`${name.padEnd(50)} wall median ${med(ms)} best ${best(ms)} ms | CPU median ${med(cpu)} best ${best(cpu)} ms`);
}

console.log(`${W}×${H} RGB → ${w}×${h}, ${runs} runs each; node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} ×${os.cpus().length}, load ${os.loadavg()[0].toFixed(2)}`);
await time('bilinear (resizeBilinear)', () => resizeBilinear(src, w, h));
await time('bilinear up 640×480 → 4000×3000', () => resizeBilinear({ data: resizeBilinear(src, w, h).data, width: w, height: h, channels: 3 }, W, H));
await time('nearest (resizeNearest)', () => resizeNearest(src, w, h));
await time('area (resizeArea, 6.25×: fractional)', () => resizeArea(src, w, h));
await time('antialias: sharp linear kernel on the raw buffer', () => sharp(data, { raw: { width: W, height: H, channels: 3 } }).resize(w, h, { fit: 'fill', kernel: 'linear' }).raw().toBuffer());
const jpeg = await sharp(data, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
await time('for scale: sharp full decode of the 12-MP JPEG', () => sharp(jpeg).raw().toBuffer());
