/**
 * What a graph's inputs and outputs say about it: a proposed decoder with a draft manifest (models.inspect,
 * models.add without a manifest), and the mismatches between a manifest and its graph (checked whenever a
 * model is added, edited or loaded; the runtime turns them into an error naming the file).
 */
import type { TensorInfo } from '../api/contract.js';
import { BLAZEFACE_KEYPOINTS } from './decoders/blazeface.js';
import { defaultLetterbox, defaultResample, type DecoderName, type InputPolicy, type ModelKind, type ModelManifest, type ModelManifestInput } from './manifest.js';

export interface GraphIO {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export interface DecoderProposal {
  kind: ModelKind;
  decoder: DecoderName;
  reason: string;
  manifest: ModelManifestInput;
}

type Dim = TensorInfo['dims'][number];
const num = (d: Dim | undefined): number | null => (typeof d === 'number' && d > 0 ? d : null);
const less = (d: Dim, k: number): number | null => (num(d) === null ? null : num(d)! - k);
const shape = (t: TensorInfo) => `${t.name} [${t.dims.map((d) => d ?? '?').join(', ')}]`;
const has = (t: TensorInfo, ...words: string[]) => words.some((w) => t.name.toLowerCase().includes(w));

/**
 * The image input: the first of rank 4 ([1, 3, H, W] or [1, H, W, 3]), else an unbatched [3, H, W] (torchvision's
 * detectors take a list of such images and batch inside the graph). Layout from where the 3 channels sit.
 */
function imageInput(io: GraphIO): { input: TensorInfo; layout: 'NCHW' | 'NHWC'; width: number | null; height: number | null } | null {
  const input = io.inputs.find((i) => i.dims.length === 4) ?? null;
  if (!input) {
    const chw = io.inputs.find((i) => i.dims.length === 3 && num(i.dims[0]) === 3);
    return chw ? { input: chw, layout: 'NCHW', height: num(chw.dims[1]), width: num(chw.dims[2]) } : null;
  }
  const nhwc = num(input.dims[3]) === 3 && num(input.dims[1]) !== 3;
  return nhwc
    ? { input, layout: 'NHWC', height: num(input.dims[1]), width: num(input.dims[2]) }
    : { input, layout: 'NCHW', height: num(input.dims[2]), width: num(input.dims[3]) };
}

/** Rows × columns of a [B, L, D] feature grid: square when L is a square (a guess the person can correct). */
function featureGrid(features: TensorInfo): [number, number] {
  const l = num(features.dims[1]) ?? 1;
  const side = Math.round(Math.sqrt(l));
  return side * side === l ? [side, side] : [1, l];
}

const classNames = (n: number) => Array.from({ length: n }, (_, i) => `class${i}`);

/** Anchor counts of BlazeFace's regressor (last dim 16) and score (last dim 1) outputs, whole or split per layer. */
function blazeFaceAnchors(outputs: TensorInfo[]): boolean {
  const sum = (last: number) => outputs.filter((o) => o.dims.length === 3 && num(o.dims[2]) === last).reduce((n, o) => n + (num(o.dims[1]) ?? 0), 0);
  return outputs.every((o) => o.dims.length === 3 && (num(o.dims[2]) === 16 || num(o.dims[2]) === 1)) && sum(16) === 896 && sum(1) === 896;
}

/**
 * Propose a decoder from the graph's IO, or null when nothing fits. `name` and `file` fill the draft manifest,
 * which still needs a person's eye: class names, normalisation and thresholds are the usual ones for the
 * layout, not read from the graph.
 */
export function proposeDecoder(io: GraphIO, opts: { name?: string; file?: string } = {}): DecoderProposal | null {
  const name = opts.name ?? 'model';
  const files = { model: opts.file ?? 'model.onnx' };
  const img = imageInput(io);
  const out = io.outputs;
  // A graph without a fixed size takes the image as it is, up to torchvision's default max_size.
  const fixed = img?.width && img.height ? { resize: 'stretch' as const, width: img.width, height: img.height } : { resize: 'fit-max' as const, maxSide: 1333 };
  const input = (policy: Partial<InputPolicy>): InputPolicy => {
    const p: InputPolicy = {
      name: img?.input.name,
      ...fixed,
      multiple: 1,
      padValue: 114,
      scale: 1 / 255,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      channels: 'RGB',
      layout: img?.layout ?? 'NCHW',
      dtype: 'float32',
      ...policy,
    };
    if (p.resize !== 'fit-max' && policy.maxSide === undefined) delete p.maxSide;
    return p;
  };
  /**
   * What the exporting framework resamples with, said in the draft: bilinear without antialias for Ultralytics
   * (cv2.INTER_LINEAR in its LetterBox, with its letterbox geometry), torchvision's fixed-size inputs, PaddleOCR
   * (cv2.resize) and MediaPipe; the family default otherwise.
   */
  const resampling = (decoder: DecoderName, p: InputPolicy): InputPolicy => {
    const ultralytics = defaultLetterbox(decoder) === 'ultralytics' && p.resize === 'letterbox';
    return { ...p, resample: p.resample ?? defaultResample(decoder), ...(ultralytics ? { letterbox: 'ultralytics' as const } : {}) };
  };
  const make = (kind: ModelKind, decoder: DecoderName, reason: string, rest: Partial<ModelManifestInput>): DecoderProposal => ({
    kind,
    decoder,
    reason,
    manifest: { name, kind, decoder, files, ...rest, input: resampling(decoder, (rest.input as InputPolicy | undefined) ?? input({})) },
  });

  // A captioner's decoder step: token, state(s), features in; logits, state(s), attention out.
  const token = io.inputs.find((i) => has(i, 'token'));
  const features = io.inputs.find((i) => has(i, 'feature'));
  if (token && features) {
    const lstm = io.inputs.some((i) => i.name === 'c' || has(i, 'cell'));
    const logits = out.find((o) => has(o, 'logit')) ?? out[0];
    const v = num(logits?.dims[1]);
    return {
      kind: 'captioner',
      decoder: 'recurrent-captioner',
      reason: `inputs ${shape(token)} and ${shape(features)} make a recurrent captioner's decoder step (${lstm ? 'LSTM: h and c' : 'one state h: RNN or GRU'}); vocabulary of ${v ?? 'unknown'} words; pair it with its encoder`,
      manifest: {
        name,
        kind: 'captioner',
        decoder: 'recurrent-captioner',
        files: { encoder: 'encoder.onnx', decoderStep: files.model },
        // The step does not see the image: the size is a placeholder to match to the encoder's input.
        input: resampling('recurrent-captioner', input({ resize: 'stretch', width: 224, height: 224 })),
        captioner: {
          cell: lstm ? 'lstm' : 'rnn',
          vocabulary: [],
          featureGrid: featureGrid(features),
        },
      },
    };
  }
  if (!img) return null;

  // A captioner's encoder: image in; feature grid and initial state out.
  const grid = out.find((o) => has(o, 'feature') && o.dims.length === 3);
  const h0 = out.find((o) => o.name === 'h0');
  if (grid && h0) {
    const lstm = out.some((o) => o.name === 'c0');
    return {
      kind: 'captioner',
      decoder: 'recurrent-captioner',
      reason: `outputs ${shape(grid)} and ${shape(h0)} make a recurrent captioner's encoder (${lstm ? 'LSTM: h0 and c0' : 'one state h0: RNN or GRU'}); pair it with its decoder step`,
      manifest: {
        name,
        kind: 'captioner',
        decoder: 'recurrent-captioner',
        files: { encoder: files.model, decoderStep: 'decoder_step.onnx' },
        input: resampling('recurrent-captioner', input({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] })),
        captioner: { cell: lstm ? 'lstm' : 'rnn', vocabulary: [], featureGrid: featureGrid(grid) },
      },
    };
  }

  if (out.length >= 2 && blazeFaceAnchors(out)) {
    return make('keypoints', 'blazeface', `outputs ${out.map(shape).join(', ')} are BlazeFace's 896 anchors: 16 regressors (box + 6 landmarks) and one score each`, {
      input: input({ resize: 'letterbox', padValue: 0, scale: 2 / 255, mean: [1, 1, 1] }),
      classes: ['face'],
      thresholds: { score: 0.5, iou: 0.3 },
      keypoints: { names: [...BLAZEFACE_KEYPOINTS] },
    });
  }

  const named = (...w: string[]) => out.find((o) => has(o, ...w));
  const boxes = named('box');
  const labels = named('label', 'class');
  const scores = named('score');
  if (boxes && labels && scores) {
    const masks = named('mask');
    const map = { boxes: boxes.name, labels: labels.name, scores: scores.name, ...(masks ? { masks: masks.name } : {}) };
    return make(masks ? 'instance-segmenter' : 'detector', masks ? 'torchvision-maskrcnn' : 'torchvision-detection', `outputs named ${Object.values(map).join(', ')} are torchvision's detection outputs${masks ? ' with Mask R-CNN masks' : ''}; NMS is inside the graph`, {
      outputs: map,
      nms: 'none',
      labelOffset: 1,
    });
  }

  if (out.length === 2) {
    const det = out.find((o) => o.dims.length === 3);
    const proto = out.find((o) => o.dims.length === 4);
    const m = num(proto?.dims[1]);
    const a = num(det?.dims[1]);
    if (det && proto && m && a && a > 4 + m) {
      return make('instance-segmenter', 'yolov8-seg', `${shape(det)} is [1, 4 + C + M, N] with M = ${m} mask coefficients for the prototypes ${shape(proto)}`, {
        input: input({ resize: 'letterbox', width: img.width ?? 640, height: img.height ?? 640 }),
        classes: classNames(a - 4 - m),
        outputs: { predictions: det.name, protos: proto.name },
      });
    }
    const logits = out.find((o) => o.dims.length === 2);
    const box = out.find((o) => o.dims.length === 2 && num(o.dims[1]) === 4 && o !== logits);
    const c = num(logits?.dims[1]);
    if (logits && box && c) {
      return make('classifier-localizer', 'cls-loc', `${shape(logits)} holds class scores and ${shape(box)} one box (normalised x1, y1, x2, y2)`, {
        classes: classNames(c),
        outputs: { logits: logits.name, box: box.name },
      });
    }
  }

  if (out.length === 1) {
    const o = out[0];
    const d = o.dims;
    if (d.length === 3) {
      const a = num(d[1]);
      const b = num(d[2]);
      // YOLO heads predict at strides 8, 16 and 32: N is fixed by the input size (v5: three anchors per cell).
      const cells = img.width && img.height ? [8, 16, 32].reduce((n, s) => n + Math.ceil(img.height! / s) * Math.ceil(img.width! / s), 0) : null;
      // A text-line recogniser takes short, wide (or width-free) inputs; its classes are an alphabet.
      const textLine = img.height !== null && img.height <= 64 && (img.width === null || img.width >= 2 * img.height);
      const yolov8 = a && a > 4 && (b === cells || (cells === null && !textLine && (b === null || b > 2 * a)));
      const yolov5 = b && b > 5 && ((cells !== null && a === 3 * cells) || (cells === null && !textLine && (a === null || a > 2 * b)));
      if (yolov8) {
        return make('detector', 'yolov8', `${shape(o)} is [1, 4 + C, N] with C = ${a - 4} classes${b ? ` and N = ${b} candidates` : ''} (YOLOv8/11)`, {
          input: input({ resize: 'letterbox', width: img.width ?? 640, height: img.height ?? 640 }),
          classes: classNames(a - 4),
        });
      }
      if (yolov5) {
        return make('detector', 'yolov5', `${shape(o)} is [1, N, 5 + C] with C = ${b - 5} classes${a ? ` and N = ${a} candidates` : ''} (YOLOv5)`, {
          input: input({ resize: 'letterbox', width: img.width ?? 640, height: img.height ?? 640 }),
          classes: classNames(b - 5),
        });
      }
      if (b && (textLine || (b > 1000 && a === null))) {
        return make('text-recognizer', 'ctc', `${shape(o)} is [N, T, C] with C = ${b} classes over the steps of a text line: a CTC text recogniser (class 0 is the blank)`, {
          input: input({ resize: 'height', height: img.height ?? 48, width: img.width ?? 320, ...(img.width ? { maxSide: img.width } : {}), padValue: 127.5, scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channels: 'BGR' }),
          thresholds: { score: 0.5 },
          textRecognizer: { alphabetFile: 'alphabet.txt' },
        });
      }
    }
    if (d.length === 4) {
      const c = num(d[1]);
      const h = num(d[2]);
      const w = num(d[3]);
      const large = (v: Dim) => v === null || typeof v === 'string' || v >= 16;
      if (c === 1 && large(d[2]) && large(d[3])) {
        return make('text-detector', 'db-text', `${shape(o)} is a one-channel probability map the size of the input: a DB text detector (PP-OCR)`, {
          input: input({ resize: 'fit-max', maxSide: 960, multiple: 32, scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channels: 'BGR' }),
          textDetector: {},
        });
      }
      if (c && c > 1 && large(d[2]) && large(d[3])) {
        return make('semantic-segmenter', 'semantic-logits', `${shape(o)} is [1, C, H, W] with C = ${c} classes${h && w ? ` at ${w}×${h}` : ''}: per-pixel class logits`, {
          input: input({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }),
          classes: classNames(c),
        });
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------- manifest ↔ graph

/** The output a role resolves to, as the decoders resolve it: the manifest's mapping, the default name, the index. */
function outputForRole(manifest: ModelManifest, outputs: TensorInfo[], role: string, index: number, problems: string[], defaultName = role): TensorInfo | undefined {
  const mapped = manifest.outputs[role];
  if (mapped !== undefined) {
    const o = outputs.find((x) => x.name === mapped);
    if (!o) problems.push(`the manifest maps output role "${role}" to "${mapped}", which the graph does not have (outputs: ${outputs.map((x) => x.name).join(', ')})`);
    return o;
  }
  const o = outputs.find((x) => x.name === defaultName) ?? outputs[index];
  if (!o) problems.push(`the ${manifest.decoder} decoder needs a "${role}" output; the graph has ${outputs.length} output(s): ${outputs.map(shape).join(', ')}`);
  return o;
}

const isInt = (t: TensorInfo) => /int/.test(t.type);
/** Rank after dropping leading axes of size 1, as the torchvision decoder reads [1, N, 4] like [N, 4]. */
function rankOf(t: TensorInfo): number {
  let lead = 0;
  while (lead < t.dims.length - 1 && t.dims[lead] === 1) lead++;
  return t.dims.length - lead;
}
/** torchvision outputs by role, found by shape and dtype when not named (SSD and Faster R-CNN order them differently). */
const TORCHVISION: Record<string, (t: TensorInfo) => boolean> = {
  boxes: (t) => !isInt(t) && rankOf(t) === 2 && num(t.dims.at(-1)) === 4,
  labels: (t) => isInt(t) && rankOf(t) === 1,
  scores: (t) => !isInt(t) && rankOf(t) === 1,
  masks: (t) => !isInt(t) && t.dims.length === 4,
};

/** The sizes each resize mode needs (planInput refuses a policy without them). */
const NEEDS: Record<InputPolicy['resize'], ('width' | 'height' | 'maxSide')[]> = {
  letterbox: ['width', 'height'],
  stretch: ['width', 'height'],
  'fit-max': ['maxSide'],
  height: ['height'],
};

function checkImageInput(manifest: ModelManifest, io: GraphIO, problems: string[]): void {
  const p = manifest.input;
  for (const field of NEEDS[p.resize]) if (p[field] === undefined) problems.push(`input.resize "${p.resize}" needs input.${field}`);
  const input = p.name !== undefined ? io.inputs.find((i) => i.name === p.name) : io.inputs[0];
  if (!input) {
    problems.push(p.name !== undefined ? `the graph has no input "${p.name}" (inputs: ${io.inputs.map((i) => i.name).join(', ')})` : 'the graph has no inputs');
    return;
  }
  // An unbatched [3, H, W] input (torchvision detectors) reads as NCHW without the batch axis.
  const unbatched = input.dims.length === 3 && p.layout === 'NCHW';
  if (input.dims.length !== 4 && !unbatched) {
    problems.push(`the image input ${shape(input)} has rank ${input.dims.length}; an image input is [1, 3, H, W] (NCHW), [1, H, W, 3] (NHWC) or an unbatched [3, H, W] (NCHW)`);
    return;
  }
  const type = input.type.replace(/^tensor\((.*)\)$/, '$1').replace(/^float$/, 'float32');
  if (type !== p.dtype) problems.push(`input.dtype is ${p.dtype} but the graph's input "${input.name}" is ${input.type}`);
  const nchw = p.layout === 'NCHW';
  const at = (k: number) => input.dims[unbatched ? k - 1 : k];
  const channels = num(at(nchw ? 1 : 3));
  if (channels !== null && channels !== 3) {
    problems.push(`input.layout is ${p.layout} but the image input ${shape(input)} has ${channels} where the 3 channels should be`);
    return;
  }
  const h = num(at(nchw ? 2 : 1));
  const w = num(at(nchw ? 3 : 2));
  const fixedWidth = p.resize === 'letterbox' || p.resize === 'stretch' ? p.width : p.resize === 'height' && p.maxSide === p.width ? p.width : undefined;
  const fixedHeight = p.resize === 'letterbox' || p.resize === 'stretch' || p.resize === 'height' ? p.height : undefined;
  if (h !== null && fixedHeight !== h) {
    problems.push(`the graph's input height is fixed at ${h} but the input policy (${p.resize}) gives ${fixedHeight ?? 'a height that varies per image'}`);
  }
  if (w !== null && fixedWidth !== w) {
    problems.push(`the graph's input width is fixed at ${w} but the input policy (${p.resize}) gives ${fixedWidth ?? 'a width that varies per image'}${p.resize === 'height' ? ' (set input.width and input.maxSide to it)' : ''}`);
  }
}

function checkClasses(manifest: ModelManifest, count: number | null, where: string, problems: string[]): void {
  if (count !== null && manifest.classes.length > 0 && manifest.classes.length !== count) {
    problems.push(`${where} scores ${count} classes but the manifest names ${manifest.classes.length}`);
  }
}

function checkCaptioner(manifest: ModelManifest, encoder: GraphIO, step: GraphIO, problems: string[]): void {
  const spec = manifest.captioner;
  if (!spec) return;
  checkImageInput(manifest, encoder, problems);
  const find = (g: GraphIO, side: 'inputs' | 'outputs', name: string, graph: string) => {
    const t = g[side].find((x) => x.name === name);
    if (!t) problems.push(`the ${graph} has no ${side === 'inputs' ? 'input' : 'output'} "${name}" (${side}: ${g[side].map((x) => x.name).join(', ')})`);
    return t;
  };
  const lstm = spec.cell === 'lstm';
  const feats = find(encoder, 'outputs', 'features', 'encoder');
  const h0 = find(encoder, 'outputs', 'h0', 'encoder');
  if (lstm) find(encoder, 'outputs', 'c0', 'encoder');
  find(step, 'inputs', 'token', 'decoder step');
  const h = find(step, 'inputs', 'h', 'decoder step');
  if (lstm) {
    find(step, 'inputs', 'c', 'decoder step');
    find(step, 'outputs', 'c_out', 'decoder step');
  } else if (step.inputs.some((i) => i.name === 'c')) {
    problems.push(`the decoder step takes a cell state "c" (an LSTM) but captioner.cell is ${spec.cell}`);
  }
  find(step, 'inputs', 'features', 'decoder step');
  find(step, 'outputs', 'h_out', 'decoder step');
  find(step, 'outputs', 'attention', 'decoder step');
  const logits = find(step, 'outputs', 'logits', 'decoder step');
  const v = num(logits?.dims[1]);
  if (v !== null && v !== spec.vocabulary.length) problems.push(`the decoder step's logits have ${v} words but captioner.vocabulary has ${spec.vocabulary.length}`);
  const l = num(feats?.dims[1]);
  const [rows, cols] = spec.featureGrid;
  if (l !== null && l !== rows * cols) problems.push(`the encoder's features hold ${l} cells but captioner.featureGrid is ${rows}×${cols} = ${rows * cols}`);
  const hd0 = num(h0?.dims[1]);
  const hd = num(h?.dims[1]);
  if (hd0 !== null && hd !== null && hd0 !== hd) problems.push(`the encoder's h0 has ${hd0} units but the decoder step's h has ${hd}`);
}

/**
 * Human-readable mismatches between a manifest and its graph(s); empty when they agree. Captioners pass both
 * graphs. A CTC manifest's alphabet is checked when it is inline: the runtime reads `alphabetFile` into
 * `textRecognizer.alphabet` first.
 */
export function checkManifestAgainstIO(manifest: ModelManifest, io: GraphIO | { encoder: GraphIO; decoderStep: GraphIO }): string[] {
  const problems: string[] = [];
  if (manifest.decoder === 'recurrent-captioner') {
    if (!('encoder' in io)) return ['a captioner is checked against both its encoder and its decoder step'];
    checkCaptioner(manifest, io.encoder, io.decoderStep, problems);
    return problems;
  }
  if ('encoder' in io) return [`a ${manifest.decoder} model has one graph, not an encoder and a decoder step`];
  checkImageInput(manifest, io, problems);
  const outs = io.outputs;
  const role = (r: string, i: number, name = r) => outputForRole(manifest, outs, r, i, problems, name);
  const rank = (t: TensorInfo | undefined, r: number, what: string) => {
    if (t && t.dims.length !== r) problems.push(`the ${manifest.decoder} decoder reads ${what} of rank ${r}; ${shape(t)} has rank ${t.dims.length}`);
    return t !== undefined && t.dims.length === r;
  };
  switch (manifest.decoder) {
    case 'yolov8': {
      const o = role('predictions', 0, 'output0');
      if (rank(o, 3, '[1, 4 + C, N]')) checkClasses(manifest, less(o!.dims[1], 4), shape(o!), problems);
      break;
    }
    case 'yolov5': {
      const o = role('predictions', 0, 'output0');
      if (rank(o, 3, '[1, N, 5 + C]')) checkClasses(manifest, less(o!.dims[2], 5), shape(o!), problems);
      break;
    }
    case 'yolov8-seg': {
      const o = role('predictions', 0, 'output0');
      const p = role('protos', 1, 'output1');
      if (rank(o, 3, '[1, 4 + C + M, N]') && rank(p, 4, 'prototypes [1, M, H, W]')) {
        const m = num(p!.dims[1]);
        checkClasses(manifest, m === null ? null : less(o!.dims[1], 4 + m), shape(o!), problems);
      }
      break;
    }
    case 'torchvision-detection':
    case 'torchvision-maskrcnn': {
      const roles = manifest.decoder === 'torchvision-maskrcnn' ? ['boxes', 'labels', 'scores', 'masks'] : ['boxes', 'labels', 'scores'];
      const taken = new Set<TensorInfo>();
      for (const r of roles) {
        const o = manifest.outputs[r] !== undefined || outs.some((x) => x.name === r) ? role(r, -1) : outs.find((x) => !taken.has(x) && TORCHVISION[r](x));
        if (o) taken.add(o);
        else if (manifest.outputs[r] === undefined) problems.push(`no output looks like torchvision's "${r}" (outputs: ${outs.map(shape).join(', ')}); map it in the manifest's "outputs"`);
      }
      break;
    }
    case 'semantic-logits': {
      const o = role('logits', 0);
      if (rank(o, 4, '[1, C, H, W]')) checkClasses(manifest, num(o!.dims[1]), shape(o!), problems);
      break;
    }
    case 'db-text': {
      const o = role('probability', 0);
      if (rank(o, 4, 'a probability map [1, 1, H, W]') && num(o!.dims[1]) !== null && num(o!.dims[1]) !== 1) problems.push(`a DB text detector's map has one channel; ${shape(o!)} has ${o!.dims[1]}`);
      break;
    }
    case 'ctc': {
      const o = role('probabilities', 0);
      const alphabet = manifest.textRecognizer?.alphabet;
      if (!manifest.textRecognizer?.alphabet && !manifest.textRecognizer?.alphabetFile) problems.push('a CTC recogniser needs textRecognizer.alphabet or alphabetFile');
      if (rank(o, 3, '[N, T, C]') && alphabet) {
        const c = num(o!.dims[2]);
        if (c !== null && alphabet.length !== c - 1 && alphabet.length !== c - 2) {
          problems.push(`${shape(o!)} scores ${c} classes (blank + ${c - 1} characters) but the alphabet has ${alphabet.length} characters`);
        }
      }
      break;
    }
    case 'blazeface':
      if (!blazeFaceAnchors(outs)) problems.push(`BlazeFace needs regressors [1, 896, 16] and scores [1, 896, 1] (or the same split per layer); the graph has ${outs.map(shape).join(', ')}`);
      break;
    case 'cls-loc': {
      const logits = role('logits', 0);
      const box = role('box', 1);
      if (rank(logits, 2, 'class scores [1, C]')) checkClasses(manifest, num(logits!.dims[1]), shape(logits!), problems);
      if (rank(box, 2, 'a box [1, 4]') && num(box!.dims[1]) !== null && num(box!.dims[1]) !== 4) problems.push(`the box output ${shape(box!)} must hold 4 values`);
      break;
    }
  }
  return problems;
}
