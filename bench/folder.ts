/**
 * Opening a folder of camera photos (issue 12): `sightline serve --project FOLDER` on 10,000 distinct 1600×1200 JPEGs
 * in 50 subfolders, cold (a new SIGHTLINE_HOME: no project, no thumbnails) and warm (the same home again), timed
 * from the process start to (a) the URL on stdout, (b) the first grid cell in Chromium, (c) the first 20
 * thumbnails shown, (d) every row listed (the toolbar's count), (e) every image indexed (the import or rescan job
 * over); the server's peak RSS. Baselines in the same run: a recursive readdir of the folder, sharp's metadata of 20
 * files, and the bare inserts of as many rows into a fresh project file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { buildCli, compiledCli } from '../scripts/cli-build.mjs';
import { ProjectStore } from '../electron/core/project/store.js';
import { launchChromium } from '../test/e2e/chromium.js';
import { floorMedian, measureFloors, type Floors } from './floor.js';
import { cached, log, pool, positiveIntEnv, prng, round, withWorkDir, type Bench, type Row } from './util.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/sightline.mjs');
const COUNT = positiveIntEnv('SIGHTLINE_BENCH_FOLDER_COUNT', 10_000);
const ROLLS = 50;
const W = 1600;
const H = 1200;
const THUMBS = 20;
/** Give up on a milestone after this long (the import of 10,000 camera JPEGs took 13–15 s before issue 12). */
const LIMIT_MS = 180_000;
const GOALS = { coldCell: 1000, coldThumbs: 2000, warmCell: 500, rssMiB: 300, listedFactor: 3 };

const PHOTOS = [
  'test/fixtures/images/astronaut.png',
  'test/fixtures/images/chelsea.jpg',
  'test/fixtures/images/coffee.jpg',
  'test/fixtures/images/grace_hopper.jpg',
  'demo/photos/rocket.jpg',
  'demo/photos/hubble_deep_field.jpg',
];

/**
 * Per roll a base picture: a random 4:3 crop of one of the free photos, enlarged to 1600×1200, mirrored every other
 * roll, with film grain. Each file of the roll is its base with a patch of its own (position, size and colour from its
 * number), so every file has distinct pixels and a distinct hash.
 */
export async function cameraFolder(): Promise<{ folder: string; built: boolean; bytes: number; files: string[] }> {
  const { path: folder, built } = await cached(`camera-folder-v1-n${COUNT}-${W}x${H}`, async (dir) => {
    log(`folder: generating ${COUNT} JPEGs of ${W}×${H} into ${dir} (cached for later runs; minutes)…`);
    const perRoll = Math.ceil(COUNT / ROLLS);
    const rnd = prng(12);
    const grain = new Int8Array(W * H * 3 + 4096);
    for (let i = 0; i < grain.length; i++) grain[i] = Math.round((rnd() + rnd() + rnd() - 1.5) * 8);
    for (let r = 0; r < ROLLS && r * perRoll < COUNT; r++) {
      const src = path.join(ROOT, PHOTOS[r % PHOTOS.length]);
      const meta = await sharp(src).metadata();
      const cw = Math.floor((meta.width ?? W) * (0.5 + rnd() * 0.5));
      const ch = Math.min(meta.height ?? H, Math.floor((cw * 3) / 4));
      const left = Math.floor(rnd() * ((meta.width ?? W) - cw + 1));
      const top = Math.floor(rnd() * ((meta.height ?? H) - ch + 1));
      let img = sharp(src).removeAlpha().extract({ left, top, width: cw, height: ch }).resize(W, H, { fit: 'fill', kernel: 'lanczos3' });
      if (r % 2) img = img.flop();
      const base = await img.raw().toBuffer();
      for (let i = 0; i < base.length; i++) base[i] = Math.max(0, Math.min(255, base[i] + grain[i + ((r * 7919) % 4096)]));
      const roll = path.join(dir, `roll-${String(r).padStart(2, '0')}`);
      mkdirSync(roll, { recursive: true });
      const numbers = Array.from({ length: Math.min(perRoll, COUNT - r * perRoll) }, (_, k) => r * perRoll + k + 1);
      await pool(numbers, 2, async (n) => {
        const px = Buffer.from(base);
        const pw = 40 + (n % 200);
        const ph = 40 + ((n * 31) % 160);
        const x0 = (n * 97) % (W - pw);
        const y0 = (n * 53) % (H - ph);
        const colour = [(n * 37) % 256, (n * 91) % 256, (n * 151) % 256];
        for (let y = y0; y < y0 + ph; y++) for (let x = x0; x < x0 + pw; x++) for (let c = 0; c < 3; c++) px[(y * W + x) * 3 + c] = colour[c];
        await sharp(px, { raw: { width: W, height: H, channels: 3 } })
          .jpeg({ quality: 90, chromaSubsampling: '4:2:0' })
          .toFile(path.join(roll, `IMG_${String(n).padStart(5, '0')}.jpg`));
      });
      log(`folder: roll ${r + 1} of ${ROLLS} written`);
    }
  });
  const files: string[] = [];
  let bytes = 0;
  for (const roll of readdirSync(folder).sort()) {
    for (const f of readdirSync(path.join(folder, roll)).sort()) files.push(path.join(folder, roll, f));
  }
  if (files.length !== COUNT) throw new Error(`The folder cache ${folder} holds ${files.length} files, not ${COUNT}: delete it and rerun.`);
  for (const f of files.slice(0, 200)) bytes += readFileSync(f).length;
  return { folder, built, bytes: (bytes / 200) * COUNT, files };
}

interface Open {
  url: number;
  cell: number;
  thumbs: number;
  listed: number;
  indexed: number;
  peakRssMiB: number;
  /** ms after navigation start, on the page's clock: the main script loaded, DOMContentLoaded, app.info and the first images.list answered, the first thumbnail received */
  page: { script: number; domReady: number; appInfo: number; imagesList: number; firstThumb: number };
}

/** Peak resident set of a process so far (Linux's VmHWM), MiB. */
function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb === undefined ? NaN : Number(kb) / 1024;
}

async function firstLine(child: ChildProcess): Promise<string> {
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl).trim());
    });
    child.once('exit', (code) => reject(new Error(`sightline serve exited (${code}) before printing its URL: ${err.trim().slice(-500)}`)));
  });
}

async function api(base: string, token: string, method: string, body: unknown = {}): Promise<unknown> {
  const res = await fetch(`${base}/api/${method}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { result: unknown }).result;
}

/** One open of the folder by a fresh `sightline serve` process, in a page of an already running Chromium. */
async function openOnce(folder: string, home: string, browser: Awaited<ReturnType<typeof launchChromium>>): Promise<Open> {
  const token = randomBytes(24).toString('base64url');
  const env: NodeJS.ProcessEnv = { ...process.env, SIGHTLINE_HOME: home, SIGHTLINE_CLI: 'compiled', SIGHTLINE_TOKEN: token };
  delete env.SIGHTLINE_DEBUG;
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve', '--project', folder, '--no-build'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await firstLine(child);
    const tUrl = performance.now() - t0;
    const base = new URL(url).origin;
    // Each milestone is waited for on its own, all at once, so a late one does not hold back the reading of another.
    const nav = page.goto(url);
    const since = () => performance.now() - t0;
    const when = (p: Promise<unknown>) => p.then(since);
    const cellP = when(page.waitForFunction(() => document.querySelector('[data-testid="grid-cell"]') !== null, null, { timeout: LIMIT_MS, polling: 'raf' }));
    const thumbsP = when(
      page.waitForFunction(
        (n) => [...document.querySelectorAll('[data-testid="grid-cell"] img')].filter((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0).length >= n,
        THUMBS,
        { timeout: LIMIT_MS, polling: 'raf' },
      ),
    );
    const listedP = when(
      page.waitForFunction((n) => Number((document.querySelector('[data-testid="library-total"]')?.textContent ?? '').replace(/\D/g, '')) === n, COUNT, {
        timeout: LIMIT_MS,
        polling: 'raf',
      }),
    );
    const [tCell, tThumbs, tListed] = await Promise.all([cellP, thumbsP, listedP]);
    for (;;) {
      const jobs = (await api(base, token, 'jobs.list')) as { state: string }[];
      if (!jobs.some((j) => j.state === 'running' || j.state === 'queued')) break;
      if (since() > LIMIT_MS) throw new Error('the import did not end in time');
      await new Promise((r) => setTimeout(r, 50));
    }
    const tIndexed = since();
    await nav;
    // Where the page's time went, on its own clock (0 = navigation start, which is right after the URL).
    // A string, not a function: tsx's transform would add a __name helper to any named function inside, which the page lacks.
    const page_ = (await page.evaluate(`(() => {
      const n = performance.getEntriesByType('navigation')[0];
      const res = performance.getEntriesByType('resource');
      const at = (re) => res.find((r) => re.test(r.name))?.responseEnd ?? NaN;
      return { script: at(/\\/assets\\/index-[^/]*\\.js/), domReady: n.domContentLoadedEventEnd, appInfo: at(/\\/api\\/app\\.info/), imagesList: at(/\\/api\\/images\\.list/), firstThumb: at(/\\/thumb\\//) };
    })()`)) as Open['page'];
    return { url: tUrl, cell: tCell, thumbs: tThumbs, listed: tListed, indexed: tIndexed, peakRssMiB: peakRss(child.pid!), page: page_ };
  } finally {
    await page.close();
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
  }
}

/** The bare cost of listing: inserting COUNT rows as the scan's phase 1 does, in 500-row transactions, into a fresh project. */
function insertMs(dir: string, files: string[], folder: string): number {
  const store = ProjectStore.open(path.join(dir, 'inserts.sightline'), { create: true });
  try {
    const root = Number(store.db.prepare('INSERT INTO image_roots (path, added_at) VALUES (?, ?)').run(folder, Date.now()).lastInsertRowid);
    const ins = store.db.prepare(
      `INSERT INTO images (root_id, rel_path, width, height, orientation, format, byte_size, mtime_ms, file_id, content_hash, added_at)
       VALUES (?, ?, 0, 0, 1, 'jpeg', ?, ?, ?, '', ?)`,
    );
    const batch = store.db.transaction((rels: string[], from: number) => rels.forEach((rel, i) => ins.run(root, rel, 500_000 + from + i, Date.now(), `0:${from + i}`, Date.now())));
    const rels = files.map((f) => path.relative(folder, f).split(path.sep).join('/'));
    const t0 = performance.now();
    for (let i = 0; i < rels.length; i += 500) batch(rels.slice(i, i + 500), i);
    return performance.now() - t0;
  } finally {
    store.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

export const folderBench: Bench = {
  id: 'folder',
  title: `Opening a folder of ${COUNT.toLocaleString('en-US')} camera JPEGs (issue 12)`,
  labels: {
    'folder.readdir': 'recursive `readdir` of the folder (baseline)',
    'folder.sharp_metadata_20': '`sharp(file).metadata()` of the first 20 files, 8 at a time (baseline)',
    'folder.inserts': `the bare inserts of ${COUNT.toLocaleString('en-US')} rows, 500 a transaction (baseline)`,
    'folder.cold_url': 'cold: `serve` started → URL printed',
    'folder.cold_cell': 'cold: → first grid cell in Chromium (goal ≤ 1,000 ms)',
    'folder.cold_thumbs': `cold: → first ${THUMBS} thumbnails shown (goal ≤ 2,000 ms)`,
    'folder.cold_listed': `cold: → all ${COUNT.toLocaleString('en-US')} rows listed (baseline: 3 × readdir + inserts; goal ratio ≤ 1)`,
    'folder.cold_indexed': 'cold: → every image indexed (the import job over)',
    'folder.cold_rss': 'cold: peak RSS of the server process (goal ≤ 300 MiB)',
    'folder.warm_url': 'warm: `serve` started → URL printed',
    'folder.warm_cell': 'warm: → first grid cell in Chromium (goal ≤ 500 ms)',
    'folder.warm_thumbs': `warm: → first ${THUMBS} thumbnails shown`,
    'folder.warm_listed': `warm: → all ${COUNT.toLocaleString('en-US')} rows listed`,
    'folder.warm_indexed': 'warm: → the rescan job over',
    'folder.warm_rss': 'warm: peak RSS of the server process (goal ≤ 300 MiB)',
    'folder.floor_node_url': 'floor: a bare Node HTTP server started → URL printed (median of 5)',
    'folder.floor_blank_page': 'floor: a blank HTML page loaded in the same Chromium (median of 5)',
    'folder.floor_react_cell': 'floor: a React page of 40 cells and nothing else (React 19 alone) → first cell, from navigation (median of 5)',
    'folder.floor_app_shell': "our renderer's start bundle served as static files, no API → its first render, from navigation (median of 5)",
    'folder.floor_warm_cell': 'floor for warm (b): bare Node server → URL, plus React alone → first cell (goal ≤ 500 ms)',
  },
  method: [
    `Inputs: ${COUNT.toLocaleString('en-US')} JPEGs of ${W}×${H} (quality 90, 4:2:0) in ${ROLLS} folders \`roll-NN/IMG_NNNNN.jpg\`, made once and cached: per folder a random 4:3 crop of one of the ` +
      'free photos in the repo, enlarged, mirrored every other folder, with film grain; each file adds a patch of its own, so pixels and content hashes all differ.',
    '`node bin/sightline.mjs serve --project FOLDER --no-build` (the compiled CLI, rebuilt first when stale), started by the bench with a new SIGHTLINE_HOME (cold: no project, no thumbnail cache) and then ' +
      'again with the same home (warm: the project exists, thumbnails seen cold are cached, the open rescans). Chromium (headless, software rendering, 1280×800) is started beforehand and loads the URL as soon as it is printed. ' +
      'Times from the spawn: (a) the URL line on stdout, (b) the first `grid-cell` in the page, (c) 20 thumbnail images decoded in cells, (d) the toolbar count equal to the file count, (e) no import or rescan job running (`jobs.list` with the bearer token). ' +
      'Peak RSS: the server process\'s VmHWM just before it is stopped. The OS page cache is not dropped (not possible here), so cold means a new project, not cold disks.',
    'Baselines in the same run: `readdir(folder, {recursive: true})` (median of 3), `sharp(file).metadata()` of the first 20 files 8 at a time, and the bare `INSERT`s of as many rows in 500-row transactions into a fresh project file. ' +
      'Goal for (d): ≤ 3 × readdir + inserts.',
  ],
  async run() {
    const { folder, built, bytes, files } = await cameraFolder();
    log(`folder: ${files.length} JPEGs, ${round(bytes / 2 ** 30, 2)} GiB, in ${folder}${built ? ' (generated now)' : ' (cached)'}`);
    const fresh = compiledCli(ROOT);
    if (!fresh.file) {
      log(`folder: rebuilding the compiled CLI (${fresh.why})`);
      await buildCli(ROOT, { log });
    }
    return withWorkDir('folder', async (dir) => {
      const readdirMs: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await readdir(folder, { recursive: true });
        readdirMs.push(performance.now() - t0);
      }
      let t0 = performance.now();
      await pool(files.slice(0, 20), 8, (f) => sharp(f).metadata());
      const metaMs = performance.now() - t0;
      const inserts = insertMs(dir, files, folder);
      const browser = await launchChromium();
      const home = path.join(dir, 'home');
      let cold: Open;
      let warm: Open;
      let floors: Floors;
      try {
        log('folder: cold open');
        cold = await openOnce(folder, home, browser);
        log(`folder: cold ${JSON.stringify(cold)}`);
        log('folder: warm open');
        warm = await openOnce(folder, home, browser);
        log(`folder: warm ${JSON.stringify(warm)}`);
        log('folder: floors');
        floors = await measureFloors(browser, dir);
        log(`folder: floors ${JSON.stringify(floors)}`);
      } finally {
        await browser.close();
      }
      const rd = median(readdirMs);
      const warmFloor = floorMedian(floors.nodeUrl) + floorMedian(floors.reactCell);
      const listedBound = GOALS.listedFactor * rd + inserts;
      const r = (name: string, value: number, baseline: number | null = null, unit = 'ms'): Row => ({
        name,
        value: round(value, 1),
        unit,
        baseline: baseline === null ? null : round(baseline, 1),
        ratio: baseline === null ? null : round(value / baseline, 2),
      });
      const rows: Row[] = [
        r('folder.readdir', rd),
        r('folder.sharp_metadata_20', metaMs),
        r('folder.inserts', inserts),
        r('folder.cold_url', cold.url),
        r('folder.cold_cell', cold.cell),
        r('folder.cold_thumbs', cold.thumbs),
        r('folder.cold_listed', cold.listed, listedBound),
        r('folder.cold_indexed', cold.indexed),
        r('folder.cold_rss', cold.peakRssMiB, null, 'MiB'),
        r('folder.warm_url', warm.url),
        r('folder.warm_cell', warm.cell),
        r('folder.warm_thumbs', warm.thumbs),
        r('folder.warm_listed', warm.listed),
        r('folder.warm_indexed', warm.indexed),
        r('folder.warm_rss', warm.peakRssMiB, null, 'MiB'),
        r('folder.floor_node_url', floorMedian(floors.nodeUrl)),
        r('folder.floor_blank_page', floorMedian(floors.blankPage)),
        r('folder.floor_react_cell', floorMedian(floors.reactCell)),
        r('folder.floor_app_shell', floorMedian(floors.appShell)),
        r('folder.floor_warm_cell', warmFloor),
      ];
      return {
        rows,
        facts: [
          `Folder: ${files.length.toLocaleString('en-US')} JPEGs, ${round(bytes / 2 ** 30, 2)} GiB (estimated from the first 200 files), ${ROLLS} subfolders.`,
          `Goals: cold first cell ${round(cold.cell)} ms (≤ ${GOALS.coldCell}: ${met(cold.cell <= GOALS.coldCell)}); cold first ${THUMBS} thumbnails ${round(cold.thumbs)} ms (≤ ${GOALS.coldThumbs}: ${met(cold.thumbs <= GOALS.coldThumbs)}); ` +
            `all rows listed ${round(cold.listed)} ms (≤ 3 × ${round(rd)} + ${round(inserts)} = ${round(listedBound)} ms: ${met(cold.listed <= listedBound)}); warm first cell ${round(warm.cell)} ms (≤ ${GOALS.warmCell}: ${met(warm.cell <= GOALS.warmCell)}); ` +
            `peak RSS ${round(cold.peakRssMiB)} / ${round(warm.peakRssMiB)} MiB cold / warm (≤ ${GOALS.rssMiB}: ${met(Math.max(cold.peakRssMiB, warm.peakRssMiB) <= GOALS.rssMiB)}).`,
          `readdir passes: ${readdirMs.map((x) => round(x, 1)).join(', ')} ms.`,
          `Floors (each of 5): bare Node server → URL ${floors.nodeUrl.map((x) => round(x)).join(', ')} ms; blank page ${floors.blankPage.map((x) => round(x)).join(', ')} ms; ` +
            `React alone (${round(floors.reactBytes / 1024)} KiB of script) → first cell ${floors.reactCell.map((x) => round(x)).join(', ')} ms; our start bundle (${round(floors.appShellBytes / 1024)} KiB) → first render ${floors.appShell.map((x) => round(x)).join(', ')} ms. ` +
            `Warm (b) cannot come before a Node server's URL plus React's first cell: ${round(warmFloor)} ms here (goal 500: ${met(warmFloor <= GOALS.warmCell)}).`,
          ...([['cold', cold], ['warm', warm]] as const).map(
            ([k, o]) =>
              `${k}, in the page (ms after its navigation started, ${round(o.url)} ms after the spawn): main script loaded ${round(o.page.script)}, DOMContentLoaded ${round(o.page.domReady)}, ` +
              `app.info answered ${round(o.page.appInfo)}, first images.list answered ${round(o.page.imagesList)}, first thumbnail received ${round(o.page.firstThumb)}; first cell seen ${round(o.cell - o.url)}.`,
          ),
        ],
      };
    });
  },
};
