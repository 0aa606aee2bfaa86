/** Folder import of 10,000 generated images against the raw rate of sharp's header read over the same files. */
import path from 'node:path';
import sharp from 'sharp';
import { importFolder, rescanProject } from '../electron/core/library/scan.js';
import { ProjectStore } from '../electron/core/project/store.js';
import { generatedImages } from './images.js';
import { log, pool, round, timeMs, withWorkDir, type Bench } from './util.js';

const COUNT = 10_000;
const CONCURRENCY = 8;

async function sharpMetadataMs(files: string[]): Promise<number> {
  return timeMs(() => pool(files, CONCURRENCY, (f) => sharp(f).metadata()));
}

async function importMs(dir: string, folder: string, n: number): Promise<{ importMs: number; rescanMs: number }> {
  const store = ProjectStore.open(path.join(dir, `import-${n}.sightline`), { create: true });
  try {
    let result;
    const importMs = await timeMs(async () => {
      result = await importFolder(store.db, folder, { concurrency: CONCURRENCY });
    });
    if (result!.imported !== COUNT || result!.errors.length) {
      throw new Error(`importFolder imported ${result!.imported} of ${COUNT} images (${result!.errors.length} errors: ${JSON.stringify(result!.errors.slice(0, 3))})`);
    }
    let rescan;
    const rescanMs = await timeMs(async () => {
      rescan = await rescanProject(store.db, { concurrency: CONCURRENCY });
    });
    if (rescan!.unchanged !== COUNT) throw new Error(`The rescan found ${rescan!.unchanged} of ${COUNT} images unchanged: ${JSON.stringify(rescan)}`);
    return { importMs, rescanMs };
  } finally {
    store.close();
  }
}

export const importBench: Bench = {
  id: 'import',
  title: 'Folder import: 10,000 generated images',
  labels: {
    'import.folder': `importFolder, ${COUNT.toLocaleString('en-US')} new images, concurrency ${CONCURRENCY} (baseline: sharp metadata)`,
    'import.sharp_metadata': `sharp(file).metadata() over the same files, ${CONCURRENCY} at a time`,
    'import.rescan_unchanged': `rescanProject of the imported folder, nothing changed`,
  },
  method: [
    `Inputs: ${COUNT.toLocaleString('en-US')} distinct PNG/JPEG images (60 % JPEG), 64–160 px, in 200 leaf folders two or three levels deep (about 40 MB), ` +
      'generated with sharp (seeded, so every machine gets the same files) and cached; generation is not measured.',
    `Baseline: \`sharp(file).metadata()\` on every file, ${CONCURRENCY} in flight, in the same process and run — header parsing only, no hash, ` +
      'no stat, no database: the floor an import cannot beat.',
    `Measured: \`importFolder(store.db, folder, {concurrency: ${CONCURRENCY}})\` into a fresh project (\`ProjectStore.open(file, {create: true})\`), ` +
      'which walks the tree, stats, reads and SHA-256-hashes each file, parses its header and inserts the rows. ' +
      'Ratio = import rate / baseline rate; the goal is ≥ 0.8.',
    'Order: one baseline pass as warm-up (it also fills the OS page cache; the cache is not dropped), then baseline, import, import, ' +
      'baseline; each row is the better of its two passes. sharp runs with its defaults (libvips threads = cores, operation cache on).',
    'Rescan: `rescanProject` right after each import with no file changed (stat only, nothing read); the better of the two.',
  ],
  async run() {
    const { folder, files, built, buildMs } = await generatedImages(COUNT);
    log(`import: ${files.length} images in ${folder}${built ? ` (generated in ${round(buildMs / 1000)} s)` : ' (cached)'}`);
    return withWorkDir('import', async (dir) => {
      log('import: warm-up baseline pass');
      await sharpMetadataMs(files);
      const base: number[] = [];
      const imp: number[] = [];
      const rescan: number[] = [];
      for (const step of ['base', 'import', 'import', 'base'] as const) {
        if (step === 'base') base.push(await sharpMetadataMs(files));
        else {
          const r = await importMs(dir, folder, imp.length);
          imp.push(r.importMs);
          rescan.push(r.rescanMs);
        }
        log(`import: ${step} ${round(step === 'base' ? base.at(-1)! : imp.at(-1)!)} ms`);
      }
      const rate = (ms: number[]) => round(COUNT / (Math.min(...ms) / 1000));
      const [b, i] = [rate(base), rate(imp)];
      return {
        rows: [
          { name: 'import.folder', value: i, unit: 'images/s', baseline: b, ratio: round(i / b, 2) },
          { name: 'import.sharp_metadata', value: b, unit: 'images/s', baseline: null, ratio: null },
          { name: 'import.rescan_unchanged', value: round(Math.min(...rescan)), unit: 'ms', baseline: null, ratio: null },
        ],
        facts: [
          `passes (ms): baseline ${base.map((x) => round(x)).join(', ')}; import ${imp.map((x) => round(x)).join(', ')}; rescan ${rescan.map((x) => round(x)).join(', ')}`,
        ],
      };
    });
  },
};
