/** `sightline eval` (issue 9): a run measured against the labels. --json prints the named numbers at the top level. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EvalType, type EvalReport } from '../common/api/contract.js';
import type { AppCore } from './core/app.js';

export const EVAL_HELP = `  sightline eval --project <file.sightline> --run ID [--iou-type bbox|segm|keypoints|semantic|caption|text] [--json]
      Measure a model run (or an imported predictions run) against the project's labels, as pycocotools and
      coco-caption compute it. --json prints {"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs",
      "ARm", "ARl" (keypoints: "AP" … "ARl"; semantic: "mIoU", "pixelAcc", "fwIoU"; captions: "BLEU1" … "BLEU4",
      "CIDEr"; text: "CER", "WER"), "perClass": [...], "run", "iouType", "images", "notes"}; -1 (or null) where a
      number is undefined. Text lines are labeled as regions with a "text" attribute.
`;

export class EvalUsageError extends Error {}

const fmt = (v: number | null) => (v === null ? '—' : v.toFixed(3));

export async function cmdEval(core: AppCore, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { project: { type: 'string' }, run: { type: 'string' }, 'iou-type': { type: 'string' }, json: { type: 'boolean' } } });
  if (!values.project || !values.run) throw new EvalUsageError('eval needs --project FILE --run ID');
  if (!/^[1-9]\d*$/.test(values.run)) throw new EvalUsageError(`--run takes a run id (a positive whole number), not "${values.run}"`);
  const type = values['iou-type'] === undefined ? undefined : EvalType.safeParse(values['iou-type']);
  if (type && !type.success) throw new EvalUsageError(`--iou-type must be one of ${EvalType.options.join(', ')}, not "${values['iou-type']}"`);
  await core.openProject(path.resolve(values.project));
  const r = (await core.dispatch('eval.run', { runId: Number(values.run), ...(type ? { iouType: type.data } : {}) })) as EvalReport;
  if (values.json) {
    const { metrics, perClass, run, iouType, images, notes } = r;
    process.stdout.write(JSON.stringify({ ...metrics, perClass, run, iouType, images, notes }) + '\n');
    return 0;
  }
  console.log(`Run ${r.run}, ${r.iouType}, ${r.images} images`);
  for (const [k, v] of Object.entries(r.metrics)) console.log(`  ${k.padEnd(8)} ${fmt(v)}`);
  if (r.perClass.length) {
    console.log('  per class:');
    const key = 'AP' in r.perClass[0] ? 'AP' : 'IoU' in r.perClass[0] ? 'IoU' : null;
    for (const c of r.perClass) console.log(`    ${String(c.class).padEnd(20)} ${key ? fmt(c[key] as number | null) : ''}`);
  }
  for (const n of r.notes) console.log(`  - ${n}`);
  return 0;
}
