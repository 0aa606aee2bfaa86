#!/usr/bin/env node
/**
 * `npm run gpu-check`: can onnxruntime-node use CUDA here, and how fast is each bundled model on it?
 * Prints one JSON report on stdout: the onnxruntime-node version, whether its CUDA provider library is installed
 * (npm does not ship it), a GPU if nvidia-smi sees one, a Python onnxruntime whose capi/ folder carries a
 * matching CUDA provider, and per bundled graph the provider a ['cuda'] session really got (with the reason it
 * fell back) and warm session.run medians on CUDA and on the CPU. Runs, and says so, on a machine without a GPU.
 *
 *   node scripts/gpu-check.mjs [--runs N] [--link-python-cuda]
 *
 * --link-python-cuda symlinks the CUDA provider libraries of a Python onnxruntime of the same version into
 * onnxruntime-node's folder first (the device machines cannot download onnxruntime-node's own).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, 'link-python-cuda': { type: 'boolean' } } });
const RUNS = Math.max(3, Number(values.runs) || 20);
const WARMUP = 3;

const require = createRequire(import.meta.url);
const ortDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
const ortVersion = JSON.parse(readFileSync(path.join(ortDir, 'package.json'), 'utf8')).version;
const binDir = path.join(ortDir, 'bin', 'napi-v6', process.platform, process.arch);
const PROVIDER_LIBS = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];

function gpu() {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout.trim().split('\n').map((line) => {
    const [name, memory, driver] = line.split(',').map((s) => s.trim());
    return { name, memory, driver };
  });
}

/** A Python onnxruntime (any python3 on PATH, then Debian's) and whether its capi/ has the CUDA provider. */
function pythonOrt() {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import onnxruntime, os; print(onnxruntime.__version__); print(os.path.dirname(onnxruntime.__file__))'], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const [version, dir] = r.stdout.trim().split('\n');
    const capi = path.join(dir, 'capi');
    const libs = Object.fromEntries(PROVIDER_LIBS.map((l) => [l, existsSync(path.join(capi, l)) ? path.join(capi, l) : null]));
    return { python: py, version, capi, libs, matches: version === ortVersion };
  }
  return null;
}

function linkPythonCuda(py) {
  if (!py) return 'no Python onnxruntime found';
  if (!py.matches) return `Python onnxruntime is ${py.version}, onnxruntime-node is ${ortVersion}: not linked`;
  const linked = [];
  for (const lib of PROVIDER_LIBS) {
    const target = path.join(binDir, lib);
    if (!py.libs[lib] || existsSync(target)) continue;
    symlinkSync(py.libs[lib], target);
    linked.push(target);
  }
  return linked.length ? `linked ${linked.join(', ')}` : 'nothing to link';
}

function firstLine(e) {
  return String(e?.message ?? e).split('\n')[0];
}

/** Feeds for a graph: the image input sized by the manifest's input policy, every free dimension 1. */
function feeds(session, manifest) {
  const p = manifest.input ?? {};
  const imageName = p.name ?? session.inputNames[0];
  const height = p.height ?? (p.maxSide ? Math.min(640, p.maxSide) : 224);
  const width = p.width ?? (p.maxSide ? Math.min(640, p.maxSide) : 224);
  const out = {};
  for (const m of session.inputMetadata) {
    let dims = m.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    if (m.name === imageName && dims.length === 4) {
      dims = p.layout === 'NHWC' ? [1, fixed(m.shape[1], height), fixed(m.shape[2], width), 3] : [1, 3, fixed(m.shape[2], height), fixed(m.shape[3], width)];
    }
    const n = dims.reduce((a, b) => a * b, 1);
    if (m.type === 'int64') out[m.name] = new ort.Tensor('int64', new BigInt64Array(n), dims);
    else if (m.type === 'uint8') out[m.name] = new ort.Tensor('uint8', new Uint8Array(n), dims);
    else out[m.name] = new ort.Tensor('float32', Float32Array.from({ length: n }, () => Math.random()), dims);
  }
  return out;
}
const fixed = (d, fallback) => (typeof d === 'number' && d > 0 ? d : fallback);

async function medianRunMs(session, input) {
  for (let i = 0; i < WARMUP; i++) await session.run(input);
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await session.run(input);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return Number(times[Math.floor(times.length / 2)].toFixed(3));
}

async function timeGraph(file, manifest) {
  const report = { file: path.relative(root, file) };
  let cuda = null;
  try {
    cuda = await ort.InferenceSession.create(file, { executionProviders: ['cuda'], logSeverityLevel: 3 });
    report.cuda = { provider: 'cuda' };
  } catch (e) {
    report.cuda = { provider: 'cpu', fallback: `no CUDA session: ${firstLine(e)}` };
  }
  const cpu = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], logSeverityLevel: 3 });
  const input = feeds(cpu, manifest);
  report.inputs = Object.fromEntries(Object.entries(input).map(([k, t]) => [k, t.dims]));
  try {
    if (cuda) report.cuda.medianMs = await medianRunMs(cuda, input);
    report.cpu = { medianMs: await medianRunMs(cpu, input) };
    if (report.cuda.medianMs) report.speedup = Number((report.cpu.medianMs / report.cuda.medianMs).toFixed(2));
  } catch (e) {
    report.error = firstLine(e);
  } finally {
    await cuda?.release();
    await cpu.release();
  }
  return report;
}

const python = pythonOrt();
const report = {
  onnxruntimeNode: ortVersion,
  cudaProviderLibrary: { path: path.join(binDir, PROVIDER_LIBS[0]), present: existsSync(path.join(binDir, PROVIDER_LIBS[0])) },
  gpu: gpu(),
  pythonOnnxruntime: python,
  ...(values['link-python-cuda'] ? { link: linkPythonCuda(python) } : {}),
  runs: RUNS,
  models: [],
};
if (values['link-python-cuda']) report.cudaProviderLibrary.present = existsSync(report.cudaProviderLibrary.path);
if (!report.gpu) report.note = 'No GPU here (nvidia-smi found none): every CUDA session falls back to the CPU.';
else if (!report.cudaProviderLibrary.present) report.note = 'A GPU is here but onnxruntime-node has no CUDA provider library: sessions fall back to the CPU.';

const modelsDir = path.join(root, 'models');
for (const name of readdirSync(modelsDir).sort()) {
  const manifestFile = path.join(modelsDir, name, 'manifest.json');
  if (!existsSync(manifestFile)) continue;
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  const files = manifest.files?.model ? [manifest.files.model] : [manifest.files?.encoder, manifest.files?.decoderStep].filter(Boolean);
  const graphs = [];
  for (const f of files) {
    try {
      graphs.push(await timeGraph(path.join(modelsDir, name, f), manifest));
    } catch (e) {
      graphs.push({ file: path.join('models', name, f), error: firstLine(e) });
    }
  }
  report.models.push({ name: manifest.name ?? name, graphs });
}
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
