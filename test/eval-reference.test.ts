/**
 * Evaluation through the product (issue 9): the reference cases of ../shared/reference/metrics, brought in as a user
 * would — blank images of the right sizes imported as a folder, gt.json imported as labels (COCO), dt.json imported as a
 * predictions run (COCO results) — and measured by `eval.run`, must give pycocotools' numbers to 1e-9.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport, ImportSummary, Job } from '../common/api/contract.js';
import { AppCore } from '../electron/core/app.js';

const REF = path.resolve(__dirname, '../../shared/reference/metrics');
const BIN = path.resolve(__dirname, '../bin/sightline.mjs');
const missing = existsSync(REF) ? null : `${REF} is absent`;
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

async function job(name: 'datasets.import', args: Record<string, unknown>): Promise<Job> {
  const { jobId } = (await core.dispatch(name, args)) as { jobId: string };
  return core.jobs.wait(jobId);
}

// coco-keypoints-a is reproduced by common/metrics alone (cocoEval.test.ts); through the product it is not yet: a COCO
// keypoint annotation's person box is imported as a box of its own, so a gt without labeled points has no box to
// measure OKS against (pycocotools uses it), and AP moves by 0.03. See issue 9's closing note.
const cases: [string, 'bbox' | 'segm'][] = [
  ['coco-bbox-a', 'bbox'],
  ['coco-bbox-b', 'bbox'],
  ['coco-segm-a', 'segm'],
];

describe.skipIf(missing !== null)('pycocotools numbers through import and eval.run', () => {
  for (const [name, iouType] of cases) {
    it(`${name} (${iouType})`, async () => {
      const dir = path.join(REF, name);
      const gt = JSON.parse(readFileSync(path.join(dir, 'gt.json'), 'utf8')) as { images: { file_name: string; width: number; height: number }[] };
      const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { stats: Record<string, number>; per_category_AP?: Record<string, number> };
      const photos = path.join(tmp, name);
      mkdirSync(photos);
      for (const im of gt.images) {
        await sharp({ create: { width: im.width, height: im.height, channels: 3, background: '#808080' } }).jpeg().toFile(path.join(photos, im.file_name));
      }
      await core.openProject(path.join(tmp, `${name}.sightline`), { create: true });
      await core.jobs.wait(core.startImport(photos));
      const labels = await job('datasets.import', { format: 'coco', from: path.join(dir, 'gt.json') });
      expect((labels.result as ImportSummary).errors, labels.error ?? '').toEqual([]);
      expect((labels.result as ImportSummary).unmatched).toEqual([]);
      const preds = await job('datasets.import', { format: 'coco-results', from: path.join(dir, 'dt.json'), as: 'predictions' });
      expect((preds.result as ImportSummary).errors, preds.error ?? '').toEqual([]);
      const runId = (preds.result as ImportSummary).run!;
      const report = (await core.dispatch('eval.run', { runId, iouType })) as EvalReport;
      for (const [k, v] of Object.entries(expected.stats)) expect(Math.abs((report.metrics[k] as number) - v), `${k}: ${report.metrics[k]} vs ${v}`).toBeLessThanOrEqual(1e-9);
      expect(Object.keys(report.metrics).sort()).toEqual(Object.keys(expected.stats).sort());
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
