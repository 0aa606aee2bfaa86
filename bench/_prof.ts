import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import sharp from 'sharp';
import { generatedImages } from './images.js';
import { pool } from './util.js';
import { importFolder } from '../electron/core/library/scan.js';
import { readImageMeta } from '../electron/core/library/metadata.js';
import { ProjectStore } from '../electron/core/project/store.js';
const { folder, files } = await generatedImages(10000);
const variants: Record<string, () => Promise<unknown>> = {
  metaFile: () => pool(files, 8, (f) => sharp(f).metadata()),
  readMetaBuf: () => pool(files, 8, async (f) => sharp(await readFile(f)).metadata()),
  statReadHashMeta: () => pool(files, 8, async (f) => { await stat(f); const b = await readFile(f); createHash('sha256').update(b).digest('hex'); return sharp(b).metadata(); }),
  readImageMeta: () => pool(files, 8, async (f) => { await stat(f); const b = await readFile(f); createHash('sha256').update(b).digest('hex'); return readImageMeta(f, b); }),
  importFolder: async () => { const d = mkdtempSync(path.join(os.tmpdir(), 'prof-')); const s = ProjectStore.open(path.join(d, 'p.sightline'), { create: true }); await importFolder(s.db, folder, { concurrency: 8 }); s.close(); rmSync(d, { recursive: true }); },
};
await variants.metaFile();
for (let k = 0; k < 2; k++) for (const [name, fn] of Object.entries(variants)) {
  const t = performance.now(); await fn(); console.log(name, (performance.now() - t).toFixed(0));
}
