/**
 * Evaluation through the product (issue 9): the reference cases of ../shared/reference/metrics, brought in as a user
 * would — blank images of the right sizes imported as a folder, gt.json imported as labels (COCO), dt.json imported as a
 * predictions run (COCO results) — and measured by `eval.run`, must give pycocotools' numbers to 1e-9.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport } from '../common/api/contract.js';
import { AppCore } from '../electron/core/app.js';
import { referenceMissing, referenceProject } from './reference-cases.js';

const BIN = path.resolve(__dirname, '../bin/sightline.mjs');
const missing = referenceMissing('coco-bbox-a');
if (missing) console.warn(`eval-reference: skipped, ${missing}`);

let tmp: string;
let core: AppCore;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-eval-ref-'));
  core = new AppCore({ appDataDir: path.join(tmp, 'appdata'), transport: 'http' });
});
afterAll(async () => {
  await core?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const cases: [string, 'bbox' | 'segm' | 'keypoints'][] = [
  ['coco-bbox-a', 'bbox'],
  ['coco-bbox-b', 'bbox'],
  ['coco-segm-a', 'segm'],
  // A person's box and keypoints import as two objects linked by group_id; the box is what OKS measures against for a
  // person with no labeled point, as in pycocotools.
  ['coco-keypoints-a', 'keypoints'],
];

describe.skipIf(missing !== null)('pycocotools numbers through import and eval.run', () => {
  for (const [name, iouType] of cases) {
    it(`${name} (${iouType})`, async () => {
      const { gt, expected, runId } = await referenceProject(core, name, path.join(tmp, `${name}.sightline`), path.join(tmp, name));
      const report = (await core.dispatch('eval.run', { runId, iouType })) as EvalReport;
      for (const [k, v] of Object.entries(expected.stats)) expect(Math.abs((report.metrics[k] as number) - v), `${k}: ${report.metrics[k]} vs ${v}`).toBeLessThanOrEqual(1e-9);
      expect(Object.keys(report.metrics).sort()).toEqual(Object.keys(expected.stats).sort());
      // Each class's images: those with its (non-crowd) labels and those with its predictions, by the project's ids.
      for (const row of report.classImages!) {
        const cls = (await core.dispatch('classes.list', {}) as { id: number; name: string }[]).find((c) => c.name === row.class)!;
        for (const id of row.gt) {
          const labels = (await core.dispatch('annotations.list', { imageId: id })) as { classId: number | null }[];
          expect(labels.some((a) => a.classId === cls.id), `${row.class} on image ${id}`).toBe(true);
        }
      }
      if (name === 'coco-bbox-b') {
        // The CLI prints the same numbers, named at the top level of its JSON.
        const file = path.join(tmp, `${name}.sightline`);
        await core.closeProject();
        const r = spawnSync(process.execPath, [BIN, 'eval', '--project', file, '--run', String(runId), '--json'], { encoding: 'utf8', env: { ...process.env, SIGHTLINE_HOME: path.join(tmp, 'home') } });
        expect(r.status, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout);
        for (const [k, v] of Object.entries(expected.stats)) expect(Math.abs(out[k] - v), k).toBeLessThanOrEqual(1e-9);
        expect(out).toMatchObject({ iouType: 'bbox', run: runId, images: gt.images.length });
        // Per class, by the class names the import created from the categories.
        const perClass = Object.fromEntries(out.perClass.map((c: { class: string; AP: number }) => [c.class, c.AP]));
        expect(Object.keys(perClass).sort()).toEqual(Object.keys(expected.per_category_AP!).sort());
        for (const [k, v] of Object.entries(expected.per_category_AP!)) expect(Math.abs(perClass[k] - v), k).toBeLessThanOrEqual(1e-9);
        const usage = spawnSync(process.execPath, [BIN, 'eval', '--project', file, '--run', 'x'], { encoding: 'utf8' });
        expect(usage.status).toBe(2);
      }
    }, 60_000);
  }
});
