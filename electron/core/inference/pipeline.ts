/**
 * One image through one model, inside the inference worker: decode (EXIF-rotated to what the person sees) →
 * resample per the input plan and the manifest's `resample` → tensor → session.run → decoder. Predictions come back
 * in displayed image pixels.
 */
import { statSync } from 'node:fs';
import { factsOf, NotRegularFileError, openRegular, readExactly, specialKind, type FileFacts } from '../library/safeOpen.js';
import ort from 'onnxruntime-node';
import sharp, { type Sharp } from 'sharp';
import { EXACT_BY_DEFAULT, resolveInput, type ResolvedInputPolicy } from '../../../common/inference/manifest.js';
import { planInput, toInputTensor, type InputPlan, type InputTensor } from '../../../common/inference/preprocess.js';
import { resizeRgb, type Extent } from '../../../common/inference/resample.js';
import type { DecodedPrediction, DecodeResult, InputTransform, RawImage, Tensor } from '../../../common/inference/types.js';
import { beamSearchCaption, captionPredictions, type CaptionStep } from '../../../common/inference/decoders/captioner.js';
import { decoderFor } from '../../../common/inference/decoders/index.js';
import { cropRgb } from '../../../common/geometry/raster.js';
import { decodeBmp, isBmp } from '../library/bmp.js';
import { graphFiles, type RequestedProvider, type RunSettings, type RuntimeModel, type Timings } from './protocol.js';
import type { OpenSession, SessionCache } from './sessions.js';

/**
 * An image as displayed: its size after EXIF rotation, and a sharp pipeline that yields those pixels; `raw` when
 * they are already in memory as 8-bit RGB (a decoded BMP, a cropped text line), so no sharp round trip is needed.
 */
export interface DisplayedImage {
  width: number;
  height: number;
  open(): Sharp;
  raw?: RawImage;
  /**
   * A JPEG only: the displayed pixels decoded at libjpeg's DCT scale 1/k (libvips' jpegload `shrink`), EXIF rotation
   * applied after the decode: ⌊W/k⌋ × ⌊H/k⌋ of the displayed W × H.
   */
  openAtScale?(k: JpegScale): Sharp;
}

/** The DCT scales libjpeg decodes at, as the divisor k of 1/k. */
export type JpegScale = 2 | 4 | 8;

/**
 * The divisor k of the smallest DCT scale 1/k (k = 8, 4 or 2) at which a JPEG of width × height decodes to at least
 * targetWidth × targetHeight (libvips' size at 1/k is ⌊W/k⌋ × ⌊H/k⌋, the partial block at the edge dropped); 1 when
 * not even 1/2 does, i.e. the target is more than half of the photo on an axis. 4000×3000 → 640×480: 1/8 gives
 * 500×375, too small, 1/4 gives 1000×750, so 4.
 */
export function jpegScaleFor(width: number, height: number, targetWidth: number, targetHeight: number): 1 | JpegScale {
  for (const k of [8, 4, 2] as const) {
    if (Math.floor(width / k) >= targetWidth && Math.floor(height / k) >= targetHeight) return k;
  }
  return 1;
}

/** The whole file, if it is a regular file: a FIFO or device swapped in must not hang or flood the worker. */
async function readRegularFile(file: string): Promise<{ bytes: Buffer; facts: FileFacts }> {
  const { handle, stat } = await openRegular(file, { noFollow: false });
  try {
    return { bytes: await readExactly(handle, Number(stat.size)), facts: factsOf(stat) };
  } finally {
    await handle.close();
  }
}

/** Whether `file` is still the regular file that was read (libvips opens it again, by name, for a scaled decode). */
function unchanged(file: string, facts: FileFacts): boolean {
  try {
    const st = statSync(file, { bigint: true });
    const now = factsOf(st);
    return !specialKind(st) && now.size === facts.size && now.mtimeMs === facts.mtimeMs && now.fileId === facts.fileId;
  } catch {
    return false;
  }
}

function readError(file: string, e: unknown): Error {
  if (e instanceof NotRegularFileError) return new Error(`${file} is ${e.kind}, not an image file`);
  const code = (e as NodeJS.ErrnoException).code;
  return new Error(code === 'ENOENT' ? `the image file is gone: ${file}` : `cannot read ${file}: ${code ?? (e as Error).message}`);
}

export async function loadImage(file: string): Promise<DisplayedImage> {
  const { bytes, facts } = await readRegularFile(file).catch((e) => {
    throw readError(file, e);
  });
  try {
    // libvips has no BMP loader; the library's decoder covers the BMPs the import accepts.
    if (isBmp(bytes)) {
      const raw = decodeBmp(bytes);
      return {
        width: raw.width,
        height: raw.height,
        open: () => sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } }),
        ...(raw.channels === 3 ? { raw } : {}),
      };
    }
    const meta = await sharp(bytes).metadata();
    const { width, height } = meta.autoOrient ?? meta;
    if (!width || !height) throw new Error('no image size in the file');
    const image: DisplayedImage = { width, height, open: () => sharp(bytes, { failOn: 'error' }).autoOrient() };
    // libvips takes jpegload's options from the file name only (a buffer load has no option string); the name's
    // last [...] is the options, so a name with brackets of its own still works. The file is opened again by name,
    // so only if it is still the regular file read above (`sourcePixels` falls back to these bytes otherwise).
    if (meta.format === 'jpeg') {
      image.openAtScale = (k) => {
        if (!unchanged(file, facts)) throw new Error(`${file} changed after it was read`);
        return sharp(`${file}[shrink=${k}]`, { failOn: 'error' }).autoOrient();
      };
    }
    return image;
  } catch (e) {
    throw new Error(`${file} could not be decoded: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** 8-bit RGB, whatever the source (grey, alpha, 16-bit, CMYK). */
async function toRgb(img: Sharp): Promise<RawImage> {
  const { data, info } = await img.removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 colour channels after conversion, got ${info.channels}`);
  return { data, width: info.width, height: info.height, channels: 3 };
}

/** Full-resolution pixels kept for models that crop the image again (text recognition of detected lines). */
async function rasterize(img: DisplayedImage): Promise<{ image: DisplayedImage; rgb: RawImage }> {
  const rgb = await toRgb(img.open());
  const raw = { width: rgb.width, height: rgb.height, channels: 3 as const };
  return { rgb, image: { width: rgb.width, height: rgb.height, open: () => sharp(rgb.data, { raw }), raw: rgb } };
}

export interface PreparedInput {
  plan: InputPlan;
  tensor: InputTensor;
}

/**
 * The pixels a pure resampler starts from: the JPEG decoded at the smallest DCT scale that covers the target
 * (`jpegScaleFor`), unless `exact`, else the whole image. `extent` is what the pixels stand for in their own units.
 */
export async function sourcePixels(img: DisplayedImage, width: number, height: number, exact: boolean): Promise<{ pixels: RawImage; scale: 1 | JpegScale; extent?: Extent }> {
  if (img.raw) return { pixels: img.raw, scale: 1 };
  const k = !exact && img.openAtScale ? jpegScaleFor(img.width, img.height, width, height) : 1;
  if (k !== 1) {
    try {
      const pixels = await toRgb(img.openAtScale!(k));
      // Anything else means the file on disk is no longer the one whose header was read.
      if (pixels.width === Math.floor(img.width / k) && pixels.height === Math.floor(img.height / k)) {
        return { pixels, scale: k, extent: { width: img.width / k, height: img.height / k } };
      }
    } catch {
      // changed or unreadable since it was read: the bytes in memory decide (and give the error, if any)
    }
  }
  return { pixels: await toRgb(img.open()), scale: 1 };
}

/**
 * The displayed pixels at width × height, resampled as the model's framework does: `antialias` is sharp's linear
 * kernel (libvips widens it when shrinking, as PIL does, and shrinks JPEGs on load by itself); the others resample
 * 8-bit RGB in common/inference/resample.ts, from the whole image when `exact` (the manifest's `input.exact`,
 * resolved), else from a JPEG decoded at a reduced DCT scale where the target is at most half of it (`sourcePixels`).
 */
export async function resampleImage(img: DisplayedImage, width: number, height: number, resample: ResolvedInputPolicy['resample'], exact = EXACT_BY_DEFAULT): Promise<RawImage> {
  if (resample === 'antialias') return toRgb(img.open().resize(width, height, { fit: 'fill', kernel: 'linear' }));
  const { pixels, extent } = await sourcePixels(img, width, height, exact);
  return resizeRgb(resample, pixels, width, height, extent);
}

/** `policy` with the family defaults resolved (`resolveInput`). */
export async function prepareInput(img: DisplayedImage, policy: ResolvedInputPolicy): Promise<PreparedInput> {
  const plan = planInput(policy, img.width, img.height);
  const resized = await resampleImage(img, plan.resizeWidth, plan.resizeHeight, policy.resample, policy.exact);
  return { plan, tensor: toInputTensor(resized, plan, policy) };
}

/** What the worker computes ahead of the session: the next image is decoded while the current one runs. */
export interface PreparedImage {
  input: PreparedInput;
  rgb?: RawImage;
  prepareMs: number;
}

export async function prepareImage(file: string, model: RuntimeModel): Promise<PreparedImage> {
  const t0 = performance.now();
  let img = await loadImage(file);
  let rgb: RawImage | undefined;
  if (model.recognizer) ({ image: img, rgb } = await rasterize(img));
  const input = await prepareInput(img, resolveInput(model.manifest));
  return { input, rgb, prepareMs: performance.now() - t0 };
}

function toOrtTensor(t: InputTensor, session: ort.InferenceSession, inputName: string): ort.Tensor {
  const meta = session.inputMetadata.find((m) => m.name === inputName);
  // torchvision detection exports take one unbatched image [3, H, W].
  const dims = meta?.isTensor && meta.shape.length === 3 ? t.dims.slice(1) : t.dims;
  return t.data instanceof Uint8Array ? new ort.Tensor('uint8', t.data, dims) : new ort.Tensor('float32', t.data, dims);
}

function inputName(model: RuntimeModel, session: ort.InferenceSession): string {
  const name = model.manifest.input.name ?? session.inputNames[0];
  if (!session.inputNames.includes(name)) throw new Error(`${model.name}: the graph has no input "${name}" (inputs: ${session.inputNames.join(', ')})`);
  return name;
}

/** Decoders that read every value of the outputs they use and refuse NaN themselves, in the pass they make anyway. */
const SCANS_ITS_OUTPUTS = new Set(['ctc', 'semantic-logits']);

function assertNoNaN(outputs: Record<string, Tensor>): void {
  for (const [name, t] of Object.entries(outputs)) {
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) continue;
    const d = t.data;
    for (let i = 0; i < d.length; i++) if (d[i] !== d[i]) throw new Error(`the model produced NaN in its output "${name}"`);
  }
}

type Outputs = Record<string, Tensor>;
const asTensors = (o: ort.InferenceSession.OnnxValueMapType) => o as unknown as Outputs;

export interface PipelineResult {
  provider: OpenSession['provider'];
  warning?: string;
  result: DecodeResult;
  timings: Timings;
}

/** A graph's raw outputs for one image, with what decoding them needs. */
export interface GraphRun {
  provider: OpenSession['provider'];
  warning?: string;
  outputs: Record<string, Tensor>;
  transform: InputTransform;
  timings: Timings;
}

/** Whether a model's outputs decode without any session: not a captioner (its search runs the decoder step), not a text detector that reads its lines. */
export function decodesAlone(model: RuntimeModel): boolean {
  return !model.manifest.captioner && !model.recognizer;
}

/** Outputs → predictions in image pixels; refuses NaN (decoders that read every value check it themselves). */
export function decodeOutputs(model: RuntimeModel, settings: RunSettings, outputs: Record<string, Tensor>, transform: InputTransform): DecodeResult {
  const { manifest } = model;
  if (!SCANS_ITS_OUTPUTS.has(manifest.decoder)) assertNoNaN(outputs);
  return decoderFor(manifest.decoder)(outputs, { manifest, transform, thresholds: settings.thresholds, keepSuppressed: settings.keepSuppressed });
}

export class ModelRunner {
  constructor(private readonly sessions: SessionCache) {}

  /** Sessions first, so a model that cannot load fails before any image is touched (and the error is fatal). */
  async open(model: RuntimeModel, provider: RequestedProvider): Promise<OpenSession[]> {
    const out: OpenSession[] = [];
    for (const f of graphFiles(model.manifest)) out.push(await this.sessions.get(f, provider));
    if (model.recognizer) out.push(...(await this.open(model.recognizer, provider)));
    return out;
  }

  /**
   * The model's graph on one prepared image, outputs not yet decoded, for models whose decoding needs no session
   * (`decodesAlone`): the worker hands these to its decoder thread and runs the next image meanwhile.
   */
  async runGraph(model: RuntimeModel, sessions: OpenSession[], prepared: PreparedImage): Promise<GraphRun> {
    const main = sessions[0];
    const { tensor, plan } = prepared.input;
    const name = inputName(model, main.session);
    const t0 = performance.now();
    const outputs = asTensors(await main.session.run({ [name]: toOrtTensor(tensor, main.session, name) }));
    const warning = sessions.find((s) => s.warning)?.warning;
    return {
      provider: main.provider,
      ...(warning ? { warning } : {}),
      outputs,
      transform: plan.transform,
      timings: { prepare: prepared.prepareMs, run: performance.now() - t0, decode: 0 },
    };
  }

  async run(model: RuntimeModel, sessions: OpenSession[], settings: RunSettings, prepared: PreparedImage): Promise<PipelineResult> {
    const graph = await this.runGraph(model, sessions, prepared);
    const { provider, warning, outputs, timings } = graph;
    const timed = async <T>(key: 'run' | 'decode', f: () => Promise<T> | T): Promise<T> => {
      const t0 = performance.now();
      try {
        return await f();
      } finally {
        timings[key] += performance.now() - t0;
      }
    };
    let result: DecodeResult;
    if (model.manifest.captioner) {
      result = await this.caption(model, sessions[1], settings, outputs, timed);
    } else {
      result = await timed('decode', () => decodeOutputs(model, settings, outputs, graph.transform));
      if (model.recognizer && prepared.rgb) await this.recognize(model.recognizer, sessions.slice(1), prepared.rgb, result.predictions, timings);
    }
    return { provider, ...(warning ? { warning } : {}), result, timings };
  }

  /**
   * Encoder once, then the decoder step under beam search (beam 1 = greedy). The step sees the features tiled
   * to the live beams; the tiling is cached per batch size since beams only shrink.
   */
  private async caption(
    model: RuntimeModel,
    step: OpenSession,
    settings: RunSettings,
    enc: Outputs,
    timed: <T>(key: 'run' | 'decode', f: () => Promise<T> | T) => Promise<T>,
  ): Promise<DecodeResult> {
    const spec = model.manifest.captioner!;
    const role = (r: string) => model.manifest.outputs[r] ?? r;
    const get = (o: Outputs, r: string, graph: string): Tensor => {
      const t = o[role(r)];
      if (!t) throw new Error(`${model.name}: the ${graph} has no output "${role(r)}" (outputs: ${Object.keys(o).join(', ')})`);
      return t;
    };
    assertNoNaN(enc);
    const features = get(enc, 'features', 'encoder');
    const [, cells, depth] = features.dims;
    const lstm = spec.cell === 'lstm';
    const init = [get(enc, 'h0', 'encoder').data as Float32Array, ...(lstm ? [get(enc, 'c0', 'encoder').data as Float32Array] : [])];
    const hidden = init[0].length;
    const tiled = new Map<number, ort.Tensor>();
    const featuresFor = (batch: number) => {
      let t = tiled.get(batch);
      if (!t) {
        const src = features.data as Float32Array;
        const data = new Float32Array(batch * src.length);
        for (let b = 0; b < batch; b++) data.set(src, b * src.length);
        tiled.set(batch, (t = new ort.Tensor('float32', data, [batch, cells, depth])));
      }
      return t;
    };
    const run: CaptionStep = async (tokens, states, batch) => {
      const feeds: Record<string, ort.Tensor> = {
        token: new ort.Tensor('int64', tokens, [batch]),
        h: new ort.Tensor('float32', states[0], [batch, hidden]),
        features: featuresFor(batch),
      };
      if (lstm) feeds.c = new ort.Tensor('float32', states[1], [batch, hidden]);
      const out = asTensors(await timed('run', () => step.session.run(feeds)));
      return {
        logits: get(out, 'logits', 'decoder step').data as Float32Array,
        states: [get(out, 'h_out', 'decoder step').data as Float32Array, ...(lstm ? [get(out, 'c_out', 'decoder step').data as Float32Array] : [])],
        attention: get(out, 'attention', 'decoder step').data as Float32Array,
      };
    };
    const searched = await beamSearchCaption(run, { states: init }, spec, settings.beamSize ?? spec.beamSize);
    return captionPredictions(searched, spec);
  }

  /**
   * Reads each detected text line: the axis-aligned box around its polygon is cropped from the displayed image
   * (turned upright when it is clearly vertical, as PaddleOCR does for h/w ≥ 1.5) and run through the recogniser.
   */
  private async recognize(rec: RuntimeModel, sessions: OpenSession[], rgb: RawImage, lines: DecodedPrediction[], timings: Timings): Promise<void> {
    const session = sessions[0].session;
    const name = inputName(rec, session);
    const decode = decoderFor(rec.manifest.decoder);
    for (const line of lines) {
      if (line.geometry.type !== 'polygon') continue;
      const p = line.geometry.points;
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (let i = 0; i < p.length; i += 2) {
        x0 = Math.min(x0, p[i]);
        x1 = Math.max(x1, p[i]);
        y0 = Math.min(y0, p[i + 1]);
        y1 = Math.max(y1, p[i + 1]);
      }
      const left = Math.max(0, Math.floor(x0));
      const top = Math.max(0, Math.floor(y0));
      const width = Math.min(rgb.width, Math.ceil(x1)) - left;
      const height = Math.min(rgb.height, Math.ceil(y1)) - top;
      if (width < 2 || height < 2) continue;
      const t0 = performance.now();
      // A tall line is read turned a quarter anticlockwise. Cut from the pixels already in memory (no sharp round
      // trip for the crop); resampled as the recogniser's manifest says, like every other model input.
      const vertical = height >= 1.5 * width;
      const crop = cropRgb(rgb, { left, top, width, height }, vertical);
      const raw = { width: crop.width, height: crop.height, channels: 3 as const };
      const { plan, tensor } = await prepareInput({ width: crop.width, height: crop.height, open: () => sharp(crop.data, { raw }), raw: crop }, resolveInput(rec.manifest));
      const t1 = performance.now();
      const out = asTensors(await session.run({ [name]: toOrtTensor(tensor, session, name) }));
      const t2 = performance.now();
      if (!SCANS_ITS_OUTPUTS.has(rec.manifest.decoder)) assertNoNaN(out);
      const text = decode(out, { manifest: rec.manifest, transform: plan.transform, thresholds: rec.manifest.thresholds }).predictions[0];
      timings.prepare += t1 - t0;
      timings.run += t2 - t1;
      timings.decode += performance.now() - t2;
      if (!text?.label) continue;
      line.label = text.label;
      line.extras = { ...line.extras, text: text.label, textScore: text.score, ...(vertical ? { vertical: true } : {}) };
    }
  }
}
