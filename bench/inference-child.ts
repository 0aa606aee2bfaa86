/**
 * Resident memory of one model's sessions in a process of its own:
 * `node bin/run-ts.mjs bench/inference-child.ts <runtime model JSON file> <image>`; prints one JSON line.
 * Every module is loaded (onnxruntime's native library included) before the first sample, so the growth is the
 * sessions' and the run's alone.
 */
import { readFileSync } from 'node:fs';
import { ModelRunner, prepareImage } from '../electron/core/inference/pipeline.js';
import type { RuntimeModel } from '../electron/core/inference/protocol.js';
import { SessionCache } from '../electron/core/inference/sessions.js';

const [modelFile, image] = process.argv.slice(2);
const model = JSON.parse(readFileSync(modelFile, 'utf8')) as RuntimeModel;
const mib = () => process.memoryUsage.rss() / 2 ** 20;

const runner = new ModelRunner(new SessionCache());
const baseMiB = mib();
const sessions = await runner.open(model, 'cpu');
const sessionMiB = mib();
const settings = { thresholds: model.manifest.thresholds, keepSuppressed: false, ...(model.manifest.captioner ? { beamSize: 1 } : {}) };
await runner.run(model, sessions, settings, await prepareImage(image, model));
const runMiB = mib();
console.log(JSON.stringify({ baseMiB, sessionMiB, runMiB, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
