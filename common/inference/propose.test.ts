import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '../api/contract.js';
import { ModelManifest, resolveInput, type ModelManifestInput } from './manifest.js';
import { planInput } from './preprocess.js';
import { checkManifestAgainstIO, proposeDecoder, type GraphIO } from './propose.js';

const T = (name: string, dims: TensorInfo['dims'], type = 'float32'): TensorInfo => ({ name, type, dims });
const image = (dims: TensorInfo['dims'] = [1, 3, 640, 640]) => [T('images', dims)];
const io = (outputs: TensorInfo[], inputs = image()): GraphIO => ({ inputs, outputs });
/** A proposal's draft manifest must itself be a valid manifest that agrees with the graph it came from. */
function proposeValid(g: GraphIO) {
  const p = proposeDecoder(g, { name: 'm', file: 'm.onnx' });
  expect(p).not.toBeNull();
  const manifest = ModelManifest.parse(p!.manifest);
  if (p!.decoder !== 'recurrent-captioner') expect(checkManifestAgainstIO(manifest, g)).toEqual([]);
  return { ...p!, parsed: manifest };
}

describe('proposeDecoder', () => {
  it('YOLOv8 [1, 4 + C, N] and YOLOv5 [1, N, 5 + C], letterboxed at the graph size', () => {
    const v8 = proposeValid(io([T('output0', [1, 84, 8400])]));
    expect(v8).toMatchObject({ kind: 'detector', decoder: 'yolov8' });
    expect(v8.parsed.classes).toHaveLength(80);
    expect(v8.parsed.input).toMatchObject({ resize: 'letterbox', width: 640, height: 640, layout: 'NCHW', name: 'images' });
    expect(v8.reason).toContain('C = 80');
    // Dynamic input sizes: judged by the shape alone.
    const dynamic = proposeValid(io([T('output0', [1, 6, 'anchors'])], image([1, 3, 'h', 'w'])));
    expect(dynamic.decoder).toBe('yolov8');
    expect(dynamic.parsed.input).toMatchObject({ width: 640, height: 640 });
    const v5 = proposeValid(io([T('output', [1, 25200, 85])]));
    expect(v5).toMatchObject({ decoder: 'yolov5' });
    expect(v5.parsed.classes).toHaveLength(80);
  });

  it('YOLOv8-seg: detections with mask coefficients and prototypes', () => {
    const p = proposeValid(io([T('output0', [1, 116, 8400]), T('output1', [1, 32, 160, 160])]));
    expect(p).toMatchObject({ kind: 'instance-segmenter', decoder: 'yolov8-seg' });
    expect(p.parsed.classes).toHaveLength(80);
  });

  it('torchvision outputs by name: detection and Mask R-CNN, NMS already done, labels from 1', () => {
    const det = proposeValid(io([T('boxes', ['N', 4]), T('labels', ['N'], 'int64'), T('scores', ['N'])], image([1, 3, 'H', 'W'])));
    expect(det).toMatchObject({ kind: 'detector', decoder: 'torchvision-detection' });
    expect(det.parsed).toMatchObject({ nms: 'none', labelOffset: 1 });
    const mask = proposeValid(io([T('boxes', ['N', 4]), T('labels', ['N'], 'int64'), T('scores', ['N']), T('masks', ['N', 1, 'H', 'W'])], image([1, 3, 'H', 'W'])));
    expect(mask).toMatchObject({ kind: 'instance-segmenter', decoder: 'torchvision-maskrcnn' });
    expect(mask.parsed.outputs).toEqual({ boxes: 'boxes', labels: 'labels', scores: 'scores', masks: 'masks' });
  });

  it('semantic logits [1, C, H, W], DB text maps [1, 1, H, W], CTC [N, T, C > 1000]', () => {
    const seg = proposeValid(io([T('out', [1, 21, 520, 520])], image([1, 3, 520, 520])));
    expect(seg).toMatchObject({ kind: 'semantic-segmenter', decoder: 'semantic-logits' });
    expect(seg.parsed.classes).toHaveLength(21);
    const db = proposeValid(io([T('map', ['b', 1, 'h', 'w'])], image(['b', 3, 'h', 'w'])));
    expect(db).toMatchObject({ kind: 'text-detector', decoder: 'db-text' });
    expect(db.parsed.input).toMatchObject({ resize: 'fit-max', maxSide: 960, multiple: 32, channels: 'BGR' });
    const ctc = proposeValid(io([T('probs', ['b', 't', 6625])], image(['b', 3, 48, 'w'])));
    expect(ctc).toMatchObject({ kind: 'text-recognizer', decoder: 'ctc' });
    expect(ctc.parsed.input).toMatchObject({ resize: 'height', height: 48 });
    // A fixed-size English recogniser: few classes, but a short wide input; the draft fixes the width.
    const fixed = proposeValid(io([T('probs', [1, 40, 97])], image([1, 3, 32, 320])));
    expect(fixed.decoder).toBe('ctc');
    expect(fixed.parsed.input).toMatchObject({ resize: 'height', height: 32, width: 320, maxSide: 320 });
  });

  it('BlazeFace anchors, whole or split per layer, NHWC', () => {
    const whole = proposeValid(io([T('regressors', [1, 896, 16]), T('classificators', [1, 896, 1])], image([1, 128, 128, 3])));
    expect(whole).toMatchObject({ kind: 'keypoints', decoder: 'blazeface' });
    expect(whole.parsed.input).toMatchObject({ layout: 'NHWC', width: 128, height: 128, scale: 2 / 255, mean: [1, 1, 1] });
    const split = proposeValid(io([T('s1', [1, 512, 1]), T('s2', [1, 384, 1]), T('r1', [1, 512, 16]), T('r2', [1, 384, 16])], image([1, 128, 128, 3])));
    expect(split.decoder).toBe('blazeface');
  });

  it('class logits + one box: a classifier-localiser', () => {
    const p = proposeValid(io([T('logits', [1, 37]), T('bbox', [1, 4])], image([1, 3, 224, 224])));
    expect(p).toMatchObject({ kind: 'classifier-localizer', decoder: 'cls-loc' });
    expect(p.parsed.classes).toHaveLength(37);
  });

  it("a captioner's decoder step from its inputs", () => {
    const step = io(
      [T('logits', ['B', 23]), T('h_out', ['B', 256]), T('c_out', ['B', 256]), T('attention', ['B', 64])],
      [T('token', ['B'], 'int64'), T('h', ['B', 256]), T('c', ['B', 256]), T('features', ['B', 64, 128])],
    );
    const p = proposeDecoder(step)!;
    expect(p).toMatchObject({ kind: 'captioner', decoder: 'recurrent-captioner' });
    expect(p.manifest.captioner).toMatchObject({ cell: 'lstm', featureGrid: [8, 8] });
    expect(p.reason).toContain('23 words');
    const encoder = proposeDecoder(io([T('features', [1, 64, 128]), T('h0', [1, 256])], image([1, 3, 256, 256])), { file: 'enc.onnx' })!;
    expect(encoder).toMatchObject({ decoder: 'recurrent-captioner', manifest: { files: { encoder: 'enc.onnx', decoderStep: 'decoder_step.onnx' }, input: { width: 256, height: 256 } } });
    expect(encoder.manifest.captioner).toMatchObject({ cell: 'rnn', featureGrid: [8, 8] });
  });

  it('proposes nothing for graphs it cannot read', () => {
    expect(proposeDecoder(io([T('x', [1, 1000])], image([1, 3, 224, 224])))).toBeNull();
    expect(proposeDecoder(io([T('y', [1, 10])], [T('x', [1, 10])]))).toBeNull();
  });
});

describe('checkManifestAgainstIO', () => {
  const manifest = (m: Partial<ModelManifestInput>) =>
    ModelManifest.parse({ name: 'm', kind: 'detector', decoder: 'yolov8', files: { model: 'm.onnx' }, input: { resize: 'letterbox', width: 640, height: 640 }, ...m });

  it('finds input size, layout, dtype and class count mismatches', () => {
    const g = io([T('output0', [1, 84, 8400])]);
    expect(checkManifestAgainstIO(manifest({ classes: Array(80).fill('x') }), g)).toEqual([]);
    expect(checkManifestAgainstIO(manifest({ classes: ['a', 'b'], input: { resize: 'letterbox', width: 320, height: 640, layout: 'NHWC', dtype: 'uint8' } }), g)).toEqual([
      "input.dtype is uint8 but the graph's input \"images\" is float32",
      'input.layout is NHWC but the image input images [1, 3, 640, 640] has 640 where the 3 channels should be',
      'output0 [1, 84, 8400] scores 80 classes but the manifest names 2',
    ]);
    expect(checkManifestAgainstIO(manifest({ input: { resize: 'letterbox', width: 320, height: 640 } }), g)).toEqual([
      "the graph's input width is fixed at 640 but the input policy (letterbox) gives 320",
    ]);
    expect(checkManifestAgainstIO(manifest({ input: { resize: 'fit-max', maxSide: 960 } }), g)).toContain(
      "the graph's input height is fixed at 640 but the input policy (fit-max) gives a height that varies per image",
    );
    expect(checkManifestAgainstIO(manifest({ input: { resize: 'stretch' } }), io([T('output0', [1, 84, 'n'])], image([1, 3, 'h', 'w'])))).toEqual([
      'input.resize "stretch" needs input.width',
      'input.resize "stretch" needs input.height',
    ]);
    expect(checkManifestAgainstIO(manifest({ input: { name: 'pixels', resize: 'letterbox', width: 640, height: 640 } }), g)).toEqual(['the graph has no input "pixels" (inputs: images)']);
  });

  it('finds missing and misshapen outputs for the decoder', () => {
    expect(checkManifestAgainstIO(manifest({ outputs: { predictions: 'dets' } }), io([T('output0', [1, 84, 8400])]))).toEqual([
      'the manifest maps output role "predictions" to "dets", which the graph does not have (outputs: output0)',
    ]);
    const tv = manifest({ decoder: 'torchvision-maskrcnn', kind: 'instance-segmenter', input: { resize: 'stretch', width: 640, height: 640 } });
    expect(checkManifestAgainstIO(tv, io([T('boxes', ['N', 4]), T('labels', ['N'], 'int64'), T('scores', ['N'])]))).toEqual([
      "no output looks like torchvision's \"masks\" (outputs: boxes [N, 4], labels [N], scores [N]); map it in the manifest's \"outputs\"",
    ]);
    // SSD's order and a batch axis, found by shape and dtype.
    const ssd = { ...tv, decoder: 'torchvision-detection' as const, kind: 'detector' as const };
    expect(checkManifestAgainstIO(ssd, io([T('3', [1, 'N', 4]), T('4', [1, 'N']), T('5', [1, 'N'], 'int64')]))).toEqual([]);
    expect(checkManifestAgainstIO(ssd, io([T('3', [1, 'N', 4]), T('5', [1, 'N'], 'int64')]))[0]).toMatch(/^no output looks like torchvision's "scores"/);
    const bf = manifest({ decoder: 'blazeface', input: { resize: 'letterbox', width: 128, height: 128 } });
    expect(checkManifestAgainstIO(bf, io([T('r', [1, 896, 16])], image([1, 3, 128, 128])))[0]).toMatch(/^BlazeFace needs regressors/);
    const ctc = manifest({ decoder: 'ctc', kind: 'text-recognizer', input: { resize: 'height', height: 48, width: 320 }, textRecognizer: { alphabet: ['a', 'b'] } });
    expect(checkManifestAgainstIO(ctc, io([T('p', ['b', 't', 10])], image(['b', 3, 48, 'w'])))).toEqual(['p [b, t, 10] scores 10 classes (blank + 9 characters) but the alphabet has 2 characters']);
  });

  it("checks a captioner's two graphs against each other and its vocabulary", () => {
    const cap = ModelManifest.parse({
      name: 'cap',
      kind: 'captioner',
      decoder: 'recurrent-captioner',
      files: { encoder: 'e.onnx', decoderStep: 'd.onnx' },
      input: { resize: 'stretch', width: 256, height: 256 },
      captioner: { cell: 'gru', vocabulary: ['<start>', '<end>', 'a', 'b'], featureGrid: [8, 8] },
    });
    const encoder = io([T('features', [1, 64, 128]), T('h0', [1, 256])], [T('image', [1, 3, 256, 256])]);
    const step = (v: number, hd: number) =>
      io([T('logits', ['B', v]), T('h_out', ['B', hd]), T('attention', ['B', 64])], [T('token', ['B'], 'int64'), T('h', ['B', hd]), T('features', ['B', 64, 128])]);
    expect(checkManifestAgainstIO(cap, { encoder, decoderStep: step(4, 256) })).toEqual([]);
    expect(checkManifestAgainstIO(cap, { encoder, decoderStep: step(9, 128) })).toEqual([
      "the decoder step's logits have 9 words but captioner.vocabulary has 4",
      "the encoder's h0 has 256 units but the decoder step's h has 128",
    ]);
    expect(checkManifestAgainstIO(ModelManifest.parse({ ...cap, captioner: { ...cap.captioner!, cell: 'lstm', featureGrid: [4, 4] } }), { encoder, decoderStep: step(4, 256) })).toEqual([
      'the encoder has no output "c0" (outputs: features, h0)',
      'the decoder step has no input "c" (inputs: token, h, features)',
      'the decoder step has no output "c_out" (outputs: logits, h_out, attention)',
      "the encoder's features hold 64 cells but captioner.featureGrid is 4×4 = 16",
    ]);
    expect(checkManifestAgainstIO(cap, encoder)).toEqual(['a captioner is checked against both its encoder and its decoder step']);
  });
});

describe('proposeDecoder drafts', () => {
  const classes = (n: number) => Array.from({ length: n }, (_, i) => `class${i}`);
  const plain = { multiple: 1, padValue: 114, scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], channels: 'RGB', layout: 'NCHW', dtype: 'float32' };
  const imagenet = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  // What each framework resamples with: Ultralytics' LetterBox (cv2.INTER_LINEAR and its geometry), torchvision,
  // PaddleOCR's cv2.resize and MediaPipe bilinear without antialias; the PyTorch layouts people train on PIL images
  // (classifier-localiser, captioner) with PIL's antialiased bilinear.
  const ultralytics = { resample: 'bilinear', letterbox: 'ultralytics' };
  const bilinear = { resample: 'bilinear' };
  const antialias = { resample: 'antialias' };

  it('writes the whole draft manifest and the reason, named "model" in model.onnx unless told', () => {
    expect(proposeDecoder(io([T('output0', [1, 84, 8400])]))).toEqual({
      kind: 'detector',
      decoder: 'yolov8',
      reason: 'output0 [1, 84, 8400] is [1, 4 + C, N] with C = 80 classes and N = 8400 candidates (YOLOv8/11)',
      manifest: {
        name: 'model',
        kind: 'detector',
        decoder: 'yolov8',
        files: { model: 'model.onnx' },
        input: { name: 'images', resize: 'letterbox', width: 640, height: 640, ...plain, ...ultralytics },
        classes: classes(80),
      },
    });
    expect(proposeDecoder(io([T('output', [1, 25200, 85])]), { name: 'v5', file: 'v5.onnx' })).toEqual({
      kind: 'detector',
      decoder: 'yolov5',
      reason: 'output [1, 25200, 85] is [1, N, 5 + C] with C = 80 classes and N = 25200 candidates (YOLOv5)',
      manifest: {
        name: 'v5',
        kind: 'detector',
        decoder: 'yolov5',
        files: { model: 'v5.onnx' },
        input: { name: 'images', resize: 'letterbox', width: 640, height: 640, ...plain, ...ultralytics },
        classes: classes(80),
      },
    });
    // Without a fixed size or a count the reason says less.
    expect(proposeDecoder(io([T('o', [1, 'n', 7])], image([1, 3, 'h', 'w'])))!.reason).toBe('o [1, n, 7] is [1, N, 5 + C] with C = 2 classes (YOLOv5)');
    expect(proposeDecoder(io([T('o', [1, 6, 'n'])], image([1, 3, 'h', 'w'])))!.reason).toBe('o [1, 6, n] is [1, 4 + C, N] with C = 2 classes (YOLOv8/11)');
  });

  it('YOLOv8-seg, torchvision and classifier-localiser drafts map their outputs', () => {
    expect(proposeDecoder(io([T('output0', [1, 38, 2100]), T('output1', [1, 32, 80, 80])], image([1, 3, 320, 320])), { name: 'm', file: 'm.onnx' })).toEqual({
      kind: 'instance-segmenter',
      decoder: 'yolov8-seg',
      reason: 'output0 [1, 38, 2100] is [1, 4 + C + M, N] with M = 32 mask coefficients for the prototypes output1 [1, 32, 80, 80]',
      manifest: {
        name: 'm',
        kind: 'instance-segmenter',
        decoder: 'yolov8-seg',
        files: { model: 'm.onnx' },
        input: { name: 'images', resize: 'letterbox', width: 320, height: 320, ...plain, ...ultralytics },
        classes: classes(2),
        outputs: { predictions: 'output0', protos: 'output1' },
      },
    });
    // An unbatched [3, H, W] image of any size: fit within torchvision's max_size.
    expect(proposeDecoder(io([T('scores', ['N']), T('boxes', ['N', 4]), T('labels', ['N'], 'int64')], [T('image', [3, 'H', 'W'])]), { name: 'm', file: 'm.onnx' })).toEqual({
      kind: 'detector',
      decoder: 'torchvision-detection',
      reason: "outputs named boxes, labels, scores are torchvision's detection outputs; NMS is inside the graph",
      manifest: {
        name: 'm',
        kind: 'detector',
        decoder: 'torchvision-detection',
        files: { model: 'm.onnx' },
        input: { name: 'image', resize: 'fit-max', maxSide: 1333, ...plain, ...bilinear },
        outputs: { boxes: 'boxes', labels: 'labels', scores: 'scores' },
        nms: 'none',
        labelOffset: 1,
      },
    });
    expect(proposeDecoder(io([T('pred_boxes', ['N', 4]), T('pred_classes', ['N'], 'int64'), T('pred_scores', ['N']), T('pred_masks', ['N', 1, 28, 28])]))!.reason).toBe(
      "outputs named pred_boxes, pred_classes, pred_scores, pred_masks are torchvision's detection outputs with Mask R-CNN masks; NMS is inside the graph",
    );
    expect(proposeDecoder(io([T('logits', [1, 3]), T('bbox', [1, 4])], [T('x', [1, 3, 224, 224])]), { name: 'm', file: 'm.onnx' })).toEqual({
      kind: 'classifier-localizer',
      decoder: 'cls-loc',
      reason: 'logits [1, 3] holds class scores and bbox [1, 4] one box (normalised x1, y1, x2, y2)',
      manifest: {
        name: 'm',
        kind: 'classifier-localizer',
        decoder: 'cls-loc',
        files: { model: 'm.onnx' },
        input: { name: 'x', resize: 'stretch', width: 224, height: 224, ...plain, ...antialias },
        classes: classes(3),
        outputs: { logits: 'logits', box: 'bbox' },
      },
    });
    // Two [1, 4] outputs: the first is the class scores, the other the box.
    expect(proposeDecoder(io([T('a', [1, 4]), T('b', [1, 4])]))!.manifest.outputs).toEqual({ logits: 'a', box: 'b' });
  });

  it('BlazeFace, DB text, CTC and semantic drafts carry their own pre-processing', () => {
    expect(proposeDecoder(io([T('regressors', [1, 896, 16]), T('classificators', [1, 896, 1])], [T('input', [1, 128, 128, 3])]), { name: 'm', file: 'm.onnx' })).toEqual({
      kind: 'keypoints',
      decoder: 'blazeface',
      reason: "outputs regressors [1, 896, 16], classificators [1, 896, 1] are BlazeFace's 896 anchors: 16 regressors (box + 6 landmarks) and one score each",
      manifest: {
        name: 'm',
        kind: 'keypoints',
        decoder: 'blazeface',
        files: { model: 'm.onnx' },
        input: { name: 'input', resize: 'letterbox', width: 128, height: 128, ...plain, padValue: 0, scale: 2 / 255, mean: [1, 1, 1], layout: 'NHWC', ...bilinear },
        classes: ['face'],
        thresholds: { score: 0.5, iou: 0.3 },
        keypoints: { names: ['right eye', 'left eye', 'nose tip', 'mouth center', 'right ear tragion', 'left ear tragion'] },
      },
    });
    expect(proposeDecoder(io([T('map', ['b', 1, 'h', 'w'])], [T('x', ['b', 3, 'h', 'w'])]), { name: 'm', file: 'm.onnx' })).toEqual({
      kind: 'text-detector',
      decoder: 'db-text',
      reason: 'map [b, 1, h, w] is a one-channel probability map the size of the input: a DB text detector (PP-OCR)',
      manifest: {
        name: 'm',
        kind: 'text-detector',
        decoder: 'db-text',
        files: { model: 'm.onnx' },
        input: { name: 'x', resize: 'fit-max', maxSide: 960, ...plain, multiple: 32, ...imagenet, channels: 'BGR', ...bilinear },
        textDetector: {},
      },
    });
    expect(proposeDecoder(io([T('probs', ['b', 't', 6625])], [T('x', ['b', 3, 48, 'w'])]), { name: 'm', file: 'm.onnx' })).toEqual({
      kind: 'text-recognizer',
      decoder: 'ctc',
      reason: 'probs [b, t, 6625] is [N, T, C] with C = 6625 classes over the steps of a text line: a CTC text recogniser (class 0 is the blank)',
      manifest: {
        name: 'm',
        kind: 'text-recognizer',
        decoder: 'ctc',
        files: { model: 'm.onnx' },
        input: { name: 'x', resize: 'height', height: 48, width: 320, ...plain, padValue: 127.5, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channels: 'BGR', ...bilinear },
        thresholds: { score: 0.5 },
        textRecognizer: { alphabetFile: 'alphabet.txt' },
      },
    });
    expect(proposeDecoder(io([T('out', [1, 3, 520, 480])], [T('x', [1, 3, 520, 480])]), { name: 'm', file: 'm.onnx' })).toEqual({
      kind: 'semantic-segmenter',
      decoder: 'semantic-logits',
      reason: 'out [1, 3, 520, 480] is [1, C, H, W] with C = 3 classes at 480×520: per-pixel class logits',
      manifest: {
        name: 'm',
        kind: 'semantic-segmenter',
        decoder: 'semantic-logits',
        files: { model: 'm.onnx' },
        input: { name: 'x', resize: 'stretch', width: 480, height: 520, ...plain, ...imagenet, ...bilinear },
        classes: classes(3),
      },
    });
    expect(proposeDecoder(io([T('out', [1, 3, 'h', 'w'])], [T('x', [1, 3, 'h', 'w'])]))!.reason).toBe('out [1, 3, h, w] is [1, C, H, W] with C = 3 classes: per-pixel class logits');
  });

  it("drafts a captioner's decoder step and encoder", () => {
    const step = io(
      [T('out', ['B', 23]), T('h_out', ['B', 256]), T('attention', ['B', 12])],
      [T('token', ['B'], 'int64'), T('h', ['B', 256]), T('features', ['B', 12, 128])],
    );
    expect(proposeDecoder(step, { name: 'm', file: 'm.onnx' })).toEqual({
      kind: 'captioner',
      decoder: 'recurrent-captioner',
      reason: "inputs token [B] and features [B, 12, 128] make a recurrent captioner's decoder step (one state h: RNN or GRU); vocabulary of 23 words; pair it with its encoder",
      manifest: {
        name: 'm',
        kind: 'captioner',
        decoder: 'recurrent-captioner',
        files: { encoder: 'encoder.onnx', decoderStep: 'm.onnx' },
        input: { resize: 'stretch', width: 224, height: 224, ...plain, ...antialias },
        captioner: { cell: 'rnn', vocabulary: [], featureGrid: [1, 12] },
      },
    });
    // The logits found by name, an LSTM told by a "cell" input, an unknown vocabulary and grid said so.
    const lstm = proposeDecoder(
      io([T('h_out', ['B', 8]), T('next_logits', ['B', 'V'])], [T('token_ids', ['B'], 'int64'), T('cell_state', ['B', 8]), T('feature_grid', ['B', 'L', 4])]),
    )!;
    expect(lstm.reason).toBe(
      "inputs token_ids [B] and feature_grid [B, L, 4] make a recurrent captioner's decoder step (LSTM: h and c); vocabulary of unknown words; pair it with its encoder",
    );
    expect(lstm.manifest.captioner).toEqual({ cell: 'lstm', vocabulary: [], featureGrid: [1, 1] });
    expect(proposeDecoder(io([T('o', ['B', 5])], [T('token', ['B'], 'int64'), T('c', ['B', 8]), T('features', ['B', 9, 4])]))!.manifest.captioner).toEqual({
      cell: 'lstm',
      vocabulary: [],
      featureGrid: [3, 3],
    });
    // A token input without features is not a decoder step.
    expect(proposeDecoder(io([T('o', ['B', 5])], [T('token', ['B'], 'int64')]))).toBeNull();

    expect(proposeDecoder(io([T('features', [1, 64, 128]), T('h0', [1, 256]), T('c0', [1, 256])], [T('image', [1, 3, 256, 256])]), { name: 'm', file: 'm.onnx' })).toEqual({
      kind: 'captioner',
      decoder: 'recurrent-captioner',
      reason: "outputs features [1, 64, 128] and h0 [1, 256] make a recurrent captioner's encoder (LSTM: h0 and c0); pair it with its decoder step",
      manifest: {
        name: 'm',
        kind: 'captioner',
        decoder: 'recurrent-captioner',
        files: { encoder: 'm.onnx', decoderStep: 'decoder_step.onnx' },
        input: { name: 'image', resize: 'stretch', width: 256, height: 256, ...plain, ...imagenet, ...antialias },
        captioner: { cell: 'lstm', vocabulary: [], featureGrid: [8, 8] },
      },
    });
    const gru = proposeDecoder(io([T('features', [1, 6, 128]), T('h0', [1, 256])], [T('image', [1, 3, 256, 256])]))!;
    expect(gru.reason).toBe("outputs features [1, 6, 128] and h0 [1, 256] make a recurrent captioner's encoder (one state h0: RNN or GRU); pair it with its decoder step");
    expect(gru.manifest.captioner).toEqual({ cell: 'rnn', vocabulary: [], featureGrid: [1, 6] });
    // Features of another rank, or no h0, make no encoder.
    expect(proposeDecoder(io([T('features', [1, 64]), T('h0', [1, 256])], [T('image', [1, 3, 256, 256])]))).toBeNull();
    expect(proposeDecoder(io([T('features', [1, 64, 128]), T('h', [1, 256])], [T('image', [1, 3, 256, 256])]))).toBeNull();
  });

  it('chooses what the exporting framework resamples with: Ultralytics layouts bilinear with its letterbox geometry', () => {
    for (const g of [io([T('output0', [1, 84, 8400])]), io([T('output', [1, 25200, 85])]), io([T('output0', [1, 38, 8400]), T('output1', [1, 32, 160, 160])])]) {
      const p = proposeValid(g);
      expect(['yolov8', 'yolov5', 'yolov8-seg']).toContain(p.decoder);
      expect(p.parsed.input).toMatchObject({ resize: 'letterbox', resample: 'bilinear', letterbox: 'ultralytics', padValue: 114 });
      // The draft plans as Ultralytics' LetterBox: 1280×721 → r = 0.5, 360.5 rounds to even 360, pads 140 / 140.
      const plan = planInput(resolveInput(p.parsed), 1280, 721);
      expect(plan).toMatchObject({ resizeWidth: 640, resizeHeight: 360, padLeft: 0, padTop: 140 });
      expect(plan.transform).toMatchObject({ scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 140 });
    }
    // torchvision: a fixed-size input bilinear (its transforms interpolate without antialias), as is a free one.
    const det = [T('boxes', ['N', 4]), T('labels', ['N'], 'int64'), T('scores', ['N'])];
    expect(proposeValid(io(det, [T('image', [3, 320, 320])])).parsed.input).toMatchObject({ resize: 'stretch', resample: 'bilinear' });
    expect(proposeValid(io(det, [T('image', [3, 'H', 'W'])])).parsed.input.resample).toBe('bilinear');
    expect(proposeValid(io([T('out', [1, 21, 520, 520])], [T('x', [1, 3, 520, 520])])).parsed.input.resample).toBe('bilinear');
    // PaddleOCR resizes with cv2.resize's default, INTER_LINEAR.
    expect(proposeValid(io([T('map', ['b', 1, 'h', 'w'])], [T('x', ['b', 3, 'h', 'w'])])).parsed.input.resample).toBe('bilinear');
    expect(proposeValid(io([T('probs', ['b', 't', 6625])], [T('x', ['b', 3, 48, 'w'])])).parsed.input.resample).toBe('bilinear');
    // Only Ultralytics' layouts get its letterbox geometry; BlazeFace keeps the per-axis family default.
    expect(proposeValid(io([T('regressors', [1, 896, 16]), T('classificators', [1, 896, 1])], [T('input', [1, 128, 128, 3])])).parsed.input.letterbox).toBeUndefined();
    expect(resolveInput(proposeValid(io([T('regressors', [1, 896, 16]), T('classificators', [1, 896, 1])], [T('input', [1, 128, 128, 3])])).parsed).letterbox).toBe('per-axis');
  });
});

describe('proposeDecoder heuristics at their edges', () => {
  const decoder = (g: GraphIO) => proposeDecoder(g)?.decoder ?? null;

  it('finds the image input: rank 4 first, NHWC only with 3 last and not 3 second, else an unbatched [3, H, W]', () => {
    const det = [T('boxes', ['N', 4]), T('labels', ['N'], 'int64'), T('scores', ['N'])];
    expect(proposeDecoder(io(det, [T('meta', [1, 2]), T('img', [1, 3, 300, 200])]))!.manifest.input).toMatchObject({ name: 'img', layout: 'NCHW', width: 200, height: 300 });
    expect(proposeDecoder(io(det, [T('img', [1, 300, 200, 3])]))!.manifest.input).toMatchObject({ layout: 'NHWC', width: 200, height: 300 });
    expect(proposeDecoder(io(det, [T('img', [1, 3, 200, 3])]))!.manifest.input).toMatchObject({ layout: 'NCHW', width: 3, height: 200 });
    expect(proposeDecoder(io(det, [T('img', [3, 300, 200])]))!.manifest.input).toMatchObject({ name: 'img', layout: 'NCHW', resize: 'stretch', width: 200, height: 300 });
    expect(proposeDecoder(io(det, [T('img', [4, 300, 200])]))).toBeNull();
    expect(proposeDecoder(io(det, [T('img', [1, 300, 200])]))).toBeNull();
    expect(proposeDecoder(io(det, []))).toBeNull();
    // Only one side known: no fixed size.
    expect(proposeDecoder(io(det, [T('img', [1, 3, 300, 'w'])]))!.manifest.input).toMatchObject({ resize: 'fit-max', maxSide: 1333 });
    expect(proposeDecoder(io(det, [T('img', [1, 3, 0, 200])]))!.manifest.input).toMatchObject({ resize: 'fit-max' });
  });

  it('needs all three torchvision outputs by name, and a mask output makes it Mask R-CNN', () => {
    expect(decoder(io([T('boxes', ['N', 4]), T('labels', ['N'], 'int64')], image([1, 3, 'h', 'w'])))).toBeNull();
    expect(decoder(io([T('boxes', ['N', 4]), T('scores', ['N'])], image([1, 3, 'h', 'w'])))).toBeNull();
    expect(decoder(io([T('labels', ['N'], 'int64'), T('scores', ['N'])], image([1, 3, 'h', 'w'])))).toBeNull();
    expect(decoder(io([T('BOXES', ['N', 4]), T('Class_IDs', ['N'], 'int64'), T('Scores', ['N'])]))).toBe('torchvision-detection');
  });

  it('tells BlazeFace by 896 anchors of 16 regressors and 1 score, in every output', () => {
    const nhwc = [T('input', [1, 128, 128, 3])];
    expect(decoder(io([T('r', [1, 896, 16]), T('s', [1, 896, 1])], nhwc))).toBe('blazeface');
    expect(decoder(io([T('r', [1, 895, 16]), T('s', [1, 895, 1])], nhwc))).toBeNull();
    expect(decoder(io([T('r', [1, 896, 16]), T('s', [1, 896, 1]), T('extra', [1, 896, 2])], nhwc))).toBeNull();
    expect(decoder(io([T('r', [1, 896, 16]), T('s', [1, 896])], nhwc))).toBeNull();
    expect(decoder(io([T('r', [1, 512, 16]), T('r2', [1, 384, 16]), T('s', [1, 896, 1])], nhwc))).toBe('blazeface');
    expect(decoder(io([T('r', [1, 896, 16]), T('s', [1, 'n', 1])], nhwc))).toBeNull();
  });

  it('needs more rows than 4 + M for YOLOv8-seg', () => {
    expect(decoder(io([T('o0', [1, 37, 2100]), T('o1', [1, 32, 80, 80])], image([1, 3, 320, 320])))).toBe('yolov8-seg');
    expect(decoder(io([T('o0', [1, 36, 2100]), T('o1', [1, 32, 80, 80])], image([1, 3, 320, 320])))).toBeNull();
    expect(decoder(io([T('o0', [1, 'a', 2100]), T('o1', [1, 32, 80, 80])], image([1, 3, 320, 320])))).toBeNull();
    expect(decoder(io([T('o0', [1, 40, 2100]), T('o1', [1, 'm', 80, 80])], image([1, 3, 320, 320])))).toBeNull();
    // Two rank-2 outputs of which none holds 4 values: no box.
    expect(decoder(io([T('a', [1, 10]), T('b', [1, 5])]))).toBeNull();
    expect(decoder(io([T('a', [1, 'c']), T('b', [1, 4])]))).toBeNull();
  });

  it('tells YOLOv8 from YOLOv5 by the candidates a fixed input makes (strides 8, 16, 32), else by shape', () => {
    // 320×320: 1600 + 400 + 100 = 2100 cells.
    const sq = image([1, 3, 320, 320]);
    expect(decoder(io([T('o', [1, 6, 2100])], sq))).toBe('yolov8');
    expect(decoder(io([T('o', [1, 5, 2100])], sq))).toBe('yolov8');
    expect(decoder(io([T('o', [1, 4, 2100])], sq))).toBeNull();
    expect(decoder(io([T('o', [1, 6, 2000])], sq))).toBeNull();
    expect(decoder(io([T('o', [1, 6300, 6])], sq))).toBe('yolov5');
    expect(decoder(io([T('o', [1, 6300, 5])], sq))).toBeNull();
    expect(decoder(io([T('o', [1, 6000, 6])], sq))).toBeNull();
    // Not a multiple of 32: cells round up (ceil), 100×60 → 13·8 + 7·4 + 4·2 = 140.
    expect(decoder(io([T('o', [1, 6, 140])], image([1, 3, 60, 100])))).toBe('yolov8');
    expect(decoder(io([T('o', [1, 6, 140])], image([1, 3, 100, 60])))).toBe('yolov8');
    expect(decoder(io([T('o', [1, 6, 139])], image([1, 3, 60, 100])))).toBeNull();
    // Dynamic input: the longer axis is the candidates.
    const dyn = image([1, 3, 'h', 'w']);
    expect(decoder(io([T('o', [1, 6, 13])], dyn))).toBe('yolov8');
    expect(decoder(io([T('o', [1, 6, 12])], dyn))).toBeNull();
    expect(decoder(io([T('o', [1, 6, 'n'])], dyn))).toBe('yolov8');
    expect(decoder(io([T('o', [1, 15, 7])], dyn))).toBe('yolov5');
    expect(decoder(io([T('o', [1, 14, 7])], dyn))).toBeNull();
    expect(decoder(io([T('o', [1, 'n', 7])], dyn))).toBe('yolov5');
  });

  it('reads a short wide input as a text line (height up to 64, width at least twice it) and large dynamic C as CTC', () => {
    expect(decoder(io([T('o', [1, 40, 97])], image([1, 3, 32, 320])))).toBe('ctc');
    expect(decoder(io([T('o', [1, 40, 97])], image([1, 3, 64, 128])))).toBe('ctc');
    expect(decoder(io([T('o', [1, 40, 97])], image([1, 3, 64, 127])))).toBeNull();
    expect(decoder(io([T('o', [1, 40, 97])], image([1, 3, 65, 130])))).toBeNull();
    expect(decoder(io([T('o', ['b', 't', 97])], image([1, 3, 48, 'w'])))).toBe('ctc');
    // A text line does not read as YOLOv5 by shape alone.
    expect(decoder(io([T('o', [1, 'n', 7])], image([1, 3, 48, 'w'])))).toBe('ctc');
    // A fixed input that is no text line: only more than 1000 classes over a dynamic step axis (a dynamic input would
    // read as YOLOv5 first).
    const square = image([1, 3, 224, 224]);
    expect(decoder(io([T('o', [1, 't', 1001])], square))).toBe('ctc');
    expect(decoder(io([T('o', [1, 't', 1000])], square))).toBeNull();
    expect(decoder(io([T('o', [1, 40, 1001])], square))).toBeNull();
    expect(decoder(io([T('o', [1, 't', 1001])], image([1, 3, 'h', 'w'])))).toBe('yolov5');
    expect(proposeDecoder(io([T('o', [1, 40, 97])], image([1, 3, 32, 320])))!.manifest.input).toMatchObject({ height: 32, width: 320, maxSide: 320 });
    expect(proposeDecoder(io([T('o', ['b', 't', 97])], image([1, 3, 48, 'w'])))!.manifest.input).not.toHaveProperty('maxSide');
  });

  it('reads a rank-4 output the size of a picture as a DB map (1 channel) or class logits (several)', () => {
    const dyn = image([1, 3, 'h', 'w']);
    expect(decoder(io([T('o', [1, 1, 16, 16])], dyn))).toBe('db-text');
    expect(decoder(io([T('o', [1, 1, 15, 16])], dyn))).toBeNull();
    expect(decoder(io([T('o', [1, 1, 16, 15])], dyn))).toBeNull();
    expect(decoder(io([T('o', [1, 2, 16, 16])], dyn))).toBe('semantic-logits');
    expect(decoder(io([T('o', [1, 2, 'h', 'w'])], dyn))).toBe('semantic-logits');
    expect(decoder(io([T('o', [1, 2, 8, 16])], dyn))).toBeNull();
    expect(decoder(io([T('o', [1, 'c', 16, 16])], dyn))).toBeNull();
    expect(decoder(io([T('o', [1, 2, 3, 16, 16])], dyn))).toBeNull();
  });
});

describe('checkManifestAgainstIO, decoder by decoder', () => {
  const base = { name: 'm', files: { model: 'm.onnx' } };
  const check = (m: Partial<ModelManifestInput> & Pick<ModelManifestInput, 'decoder' | 'kind'>, g: GraphIO) =>
    checkManifestAgainstIO(ModelManifest.parse({ ...base, input: { resize: 'stretch', width: 640, height: 640 }, ...m }), g);

  it('names what each resize mode needs and a missing or misshapen image input', () => {
    const g = io([T('output0', [1, 84, 8400])], image([1, 3, 'h', 'w']));
    const v8 = { decoder: 'yolov8', kind: 'detector' } as const;
    expect(check({ ...v8, input: { resize: 'letterbox' } }, g)).toEqual(['input.resize "letterbox" needs input.width', 'input.resize "letterbox" needs input.height']);
    expect(check({ ...v8, input: { resize: 'fit-max' } }, g)).toEqual(['input.resize "fit-max" needs input.maxSide']);
    expect(check({ ...v8, input: { resize: 'height' } }, g)).toEqual(['input.resize "height" needs input.height']);
    expect(check({ ...v8, input: { resize: 'height', height: 32 } }, g)).toEqual([]);
    expect(check(v8, io([T('output0', [1, 84, 8400])], []))).toEqual(['the graph has no inputs']);
    expect(check(v8, io([T('output0', [1, 84, 8400])], [T('x', [1, 3, 640])]))).toEqual([
      'input.layout is NCHW but the image input x [1, 3, 640] has 1 where the 3 channels should be',
    ]);
    expect(check({ ...v8, input: { resize: 'stretch', width: 640, height: 640, layout: 'NHWC' } }, io([T('output0', [1, 84, 8400])], [T('x', [3, 640, 640])]))).toEqual([
      'the image input x [3, 640, 640] has rank 3; an image input is [1, 3, H, W] (NCHW), [1, H, W, 3] (NHWC) or an unbatched [3, H, W] (NCHW)',
    ]);
    expect(check(v8, io([T('output0', [1, 84, 8400])], [T('x', [1, 3, 640, 640, 1])]))[0]).toMatch(/^the image input x \[1, 3, 640, 640, 1\] has rank 5; /);
    // An unbatched [3, H, W] input reads its sizes one axis earlier.
    expect(check(v8, io([T('output0', [1, 84, 8400])], [T('x', [3, 640, 320])]))).toEqual([
      "the graph's input width is fixed at 320 but the input policy (stretch) gives 640",
    ]);
    expect(check(v8, io([T('output0', [1, 84, 8400])], [T('x', [4, 640, 640])]))).toEqual([
      'input.layout is NCHW but the image input x [4, 640, 640] has 4 where the 3 channels should be',
    ]);
    // ONNX type names: tensor(float) is float32.
    expect(check(v8, io([T('output0', [1, 84, 8400])], [T('x', [1, 3, 640, 640], 'tensor(float)')]))).toEqual([]);
    expect(check(v8, io([T('output0', [1, 84, 8400])], [T('x', [1, 3, 640, 640], 'tensor(uint8)')]))).toEqual([
      'input.dtype is float32 but the graph\'s input "x" is tensor(uint8)',
    ]);
    // NHWC reads height and width from axes 1 and 2.
    expect(check({ ...v8, input: { resize: 'stretch', width: 200, height: 100, layout: 'NHWC' } }, io([T('output0', [1, 84, 8400])], [T('x', [1, 100, 200, 3])]))).toEqual([]);
    expect(check({ ...v8, input: { resize: 'stretch', width: 100, height: 200, layout: 'NHWC' } }, io([T('output0', [1, 84, 8400])], [T('x', [1, 100, 200, 3])]))).toEqual([
      "the graph's input height is fixed at 100 but the input policy (stretch) gives 200",
      "the graph's input width is fixed at 200 but the input policy (stretch) gives 100",
    ]);
  });

  it('matches a text line policy against a fixed width only when maxSide pins it', () => {
    const ctc = { decoder: 'ctc' as const, kind: 'text-recognizer' as const, textRecognizer: { alphabet: ['a', 'b'] } };
    const g = io([T('p', [1, 40, 3])], image([1, 3, 32, 320]));
    expect(check({ ...ctc, input: { resize: 'height', height: 32, width: 320, maxSide: 320 } }, g)).toEqual([]);
    expect(check({ ...ctc, input: { resize: 'height', height: 32, width: 320 } }, g)).toEqual([
      "the graph's input width is fixed at 320 but the input policy (height) gives a width that varies per image (set input.width and input.maxSide to it)",
    ]);
    expect(check({ ...ctc, input: { resize: 'height', height: 48, width: 320, maxSide: 320 } }, g)).toEqual([
      "the graph's input height is fixed at 32 but the input policy (height) gives 48",
    ]);
  });

  it('names missing outputs by role, mapped or by default', () => {
    expect(check({ decoder: 'yolov8', kind: 'detector' }, io([], image()))).toEqual([
      'the yolov8 decoder needs a "predictions" output; the graph has 0 output(s): ',
    ]);
    expect(check({ decoder: 'cls-loc', kind: 'classifier-localizer' }, io([T('logits', [1, 3])], image()))).toEqual([
      'the cls-loc decoder needs a "box" output; the graph has 1 output(s): logits [1, 3]',
    ]);
    // The default name wins over the index.
    expect(check({ decoder: 'yolov8-seg', kind: 'instance-segmenter' }, io([T('output1', [1, 32, 160, 160]), T('output0', [1, 116, 8400])], image()))).toEqual([]);
  });

  it('checks ranks and class counts of the YOLO, semantic, DB, CTC and cls-loc outputs', () => {
    expect(check({ decoder: 'yolov8', kind: 'detector' }, io([T('output0', [1, 84])], image()))).toEqual([
      'the yolov8 decoder reads [1, 4 + C, N] of rank 3; output0 [1, 84] has rank 2',
    ]);
    expect(check({ decoder: 'yolov5', kind: 'detector', classes: ['a'] }, io([T('output0', [1, 25200, 85])], image()))).toEqual([
      'output0 [1, 25200, 85] scores 80 classes but the manifest names 1',
    ]);
    expect(check({ decoder: 'yolov5', kind: 'detector', classes: ['a'] }, io([T('output0', [1, 25200, 6])], image()))).toEqual([]);
    expect(check({ decoder: 'yolov5', kind: 'detector' }, io([T('output0', [25200, 85])], image()))).toEqual([
      'the yolov5 decoder reads [1, N, 5 + C] of rank 3; output0 [25200, 85] has rank 2',
    ]);
    const seg = { decoder: 'yolov8-seg', kind: 'instance-segmenter' } as const;
    expect(check({ ...seg, classes: ['a', 'b'] }, io([T('output0', [1, 116, 8400]), T('output1', [1, 32, 160, 160])], image()))).toEqual([
      'output0 [1, 116, 8400] scores 80 classes but the manifest names 2',
    ]);
    expect(check({ ...seg, classes: ['a', 'b'] }, io([T('output0', [1, 116, 8400]), T('output1', [1, 'm', 160, 160])], image()))).toEqual([]);
    expect(check(seg, io([T('output0', [1, 116, 8400]), T('output1', [1, 32, 160])], image()))).toEqual([
      'the yolov8-seg decoder reads prototypes [1, M, H, W] of rank 4; output1 [1, 32, 160] has rank 3',
    ]);
    const sem = { decoder: 'semantic-logits', kind: 'semantic-segmenter' } as const;
    expect(check({ ...sem, classes: ['a', 'b'] }, io([T('out', [1, 3, 64, 64])], image()))).toEqual(['out [1, 3, 64, 64] scores 3 classes but the manifest names 2']);
    expect(check(sem, io([T('out', [1, 3, 64])], image()))).toEqual(['the semantic-logits decoder reads [1, C, H, W] of rank 4; out [1, 3, 64] has rank 3']);
    const db = { decoder: 'db-text', kind: 'text-detector' } as const;
    expect(check(db, io([T('map', [1, 1, 'h', 'w'])], image()))).toEqual([]);
    expect(check(db, io([T('map', [1, 'c', 'h', 'w'])], image()))).toEqual([]);
    expect(check(db, io([T('map', [1, 2, 'h', 'w'])], image()))).toEqual(["a DB text detector's map has one channel; map [1, 2, h, w] has 2"]);
    expect(check(db, io([T('map', [1, 'h', 'w'])], image()))).toEqual(['the db-text decoder reads a probability map [1, 1, H, W] of rank 4; map [1, h, w] has rank 3']);
    const ctc = { decoder: 'ctc', kind: 'text-recognizer', input: { resize: 'height', height: 640, width: 640, maxSide: 640 } } as const;
    expect(check(ctc, io([T('p', [1, 40, 5])], image()))).toEqual(['a CTC recogniser needs textRecognizer.alphabet or alphabetFile']);
    expect(check({ ...ctc, textRecognizer: { alphabetFile: 'a.txt' } }, io([T('p', [1, 40, 5])], image()))).toEqual([]);
    expect(check({ ...ctc, textRecognizer: { alphabet: ['a', 'b', 'c', 'd'] } }, io([T('p', [1, 40, 5])], image()))).toEqual([]);
    expect(check({ ...ctc, textRecognizer: { alphabet: ['a', 'b', 'c'] } }, io([T('p', [1, 40, 5])], image()))).toEqual([]);
    expect(check({ ...ctc, textRecognizer: { alphabet: ['a', 'b', 'c'] } }, io([T('p', [1, 40, 'c'])], image()))).toEqual([]);
    expect(check({ ...ctc, textRecognizer: { alphabet: ['a', 'b'] } }, io([T('p', [1, 40, 5])], image()))).toEqual([
      'p [1, 40, 5] scores 5 classes (blank + 4 characters) but the alphabet has 2 characters',
    ]);
    expect(check({ ...ctc, textRecognizer: { alphabet: ['a', 'b', 'c', 'd', 'e'] } }, io([T('p', [1, 40, 5])], image()))).toHaveLength(1);
    expect(check({ ...ctc, textRecognizer: { alphabet: ['a'] } }, io([T('p', [40, 5])], image()))).toEqual(['the ctc decoder reads [N, T, C] of rank 3; p [40, 5] has rank 2']);
    const cl = { decoder: 'cls-loc', kind: 'classifier-localizer' } as const;
    expect(check({ ...cl, classes: ['a'] }, io([T('logits', [1, 3]), T('box', [1, 5])], image()))).toEqual([
      'logits [1, 3] scores 3 classes but the manifest names 1',
      'the box output box [1, 5] must hold 4 values',
    ]);
    expect(check(cl, io([T('logits', [1, 3]), T('box', [1, 'k'])], image()))).toEqual([]);
    expect(check(cl, io([T('logits', [3]), T('box', [4])], image()))).toEqual([
      'the cls-loc decoder reads class scores [1, C] of rank 2; logits [3] has rank 1',
      'the cls-loc decoder reads a box [1, 4] of rank 2; box [4] has rank 1',
    ]);
    const bf = { decoder: 'blazeface' as const, kind: 'keypoints' as const, keypoints: { names: ['a'] } };
    expect(check(bf, io([T('r', [1, 896, 16]), T('s', [1, 896, 1])], image()))).toEqual([]);
    expect(check(bf, io([T('r', [1, 896, 16])], image()))).toEqual([
      'BlazeFace needs regressors [1, 896, 16] and scores [1, 896, 1] (or the same split per layer); the graph has r [1, 896, 16]',
    ]);
  });

  it('finds torchvision outputs by name, by mapping, or by shape and dtype, and names what is missing', () => {
    const tv = { decoder: 'torchvision-maskrcnn', kind: 'instance-segmenter' } as const;
    const dyn = image([1, 3, 'h', 'w']);
    const fit = { input: { resize: 'fit-max', maxSide: 800 } } as const;
    expect(check({ ...tv, ...fit }, io([T('a', ['N', 4]), T('b', ['N'], 'int64'), T('c', ['N']), T('d', ['N', 1, 'H', 'W'])], dyn))).toEqual([]);
    // A mask of integers, or of rank 3, is no mask.
    expect(check({ ...tv, ...fit }, io([T('a', ['N', 4]), T('b', ['N'], 'int64'), T('c', ['N']), T('d', ['N', 1, 'H', 'W'], 'int64')], dyn))).toEqual([
      "no output looks like torchvision's \"masks\" (outputs: a [N, 4], b [N], c [N], d [N, 1, H, W]); map it in the manifest's \"outputs\"",
    ]);
    expect(check({ ...tv, ...fit }, io([T('a', ['N', 4]), T('b', ['N'], 'int64'), T('c', ['N']), T('d', ['N', 'H', 'W'])], dyn))).toHaveLength(1);
    // Boxes need 4 coordinates; labels are integers of rank 1; scores floats of rank 1.
    expect(check({ ...tv, ...fit }, io([T('a', ['N', 5]), T('b', ['N'], 'int64'), T('c', ['N']), T('d', ['N', 1, 'H', 'W'])], dyn))).toHaveLength(1);
    expect(check({ ...tv, ...fit }, io([T('a', ['N', 4]), T('b', ['N', 2], 'int64'), T('c', ['N']), T('d', ['N', 1, 'H', 'W'])], dyn))).toHaveLength(1);
    expect(check({ ...tv, ...fit }, io([T('a', ['N', 4], 'int64'), T('b', ['N'], 'int64'), T('c', ['N']), T('d', ['N', 1, 'H', 'W'])], dyn))).toHaveLength(1);
    // Mapped: a mapping to a missing output is named once, and not again as "looks like".
    expect(check({ ...tv, ...fit, outputs: { masks: 'm' } }, io([T('boxes', ['N', 4]), T('labels', ['N'], 'int64'), T('scores', ['N'])], dyn))).toEqual([
      'the manifest maps output role "masks" to "m", which the graph does not have (outputs: boxes, labels, scores)',
    ]);
    expect(check({ ...tv, ...fit, outputs: { masks: 'm' } }, io([T('boxes', ['N', 4]), T('labels', ['N'], 'int64'), T('scores', ['N']), T('m', ['N', 1, 'H', 'W'])], dyn))).toEqual([]);
  });

  it('refuses a graph pair for a one-graph model, and an LSTM step for a GRU manifest', () => {
    const enc = io([T('features', [1, 4, 8]), T('h0', [1, 8])], [T('image', [1, 3, 64, 64])]);
    const step = io([T('logits', ['B', 3]), T('h_out', ['B', 8]), T('attention', ['B', 4])], [T('token', ['B'], 'int64'), T('h', ['B', 8]), T('c', ['B', 8]), T('features', ['B', 4, 8])]);
    expect(check({ decoder: 'yolov8', kind: 'detector' }, { encoder: enc, decoderStep: step } as never)).toEqual(['a yolov8 model has one graph, not an encoder and a decoder step']);
    const cap = ModelManifest.parse({
      ...base,
      files: { encoder: 'e.onnx', decoderStep: 'd.onnx' },
      kind: 'captioner',
      decoder: 'recurrent-captioner',
      input: { resize: 'stretch', width: 64, height: 64 },
      captioner: { cell: 'gru', vocabulary: ['<start>', '<end>', 'a'], featureGrid: [2, 2] },
    });
    expect(checkManifestAgainstIO(cap, { encoder: enc, decoderStep: step })).toEqual(['the decoder step takes a cell state "c" (an LSTM) but captioner.cell is gru']);
    // Unknown sizes are not checked; a wrong image input is.
    const loose = io([T('logits', ['B', 'V']), T('h_out', ['B', 'H']), T('attention', ['B', 'L'])], [T('token', ['B'], 'int64'), T('h', ['B', 'H']), T('features', ['B', 'L', 8])]);
    expect(checkManifestAgainstIO(cap, { encoder: io([T('features', [1, 'L', 8]), T('h0', [1, 8])], [T('image', [1, 3, 32, 64])]), decoderStep: loose })).toEqual([
      "the graph's input height is fixed at 32 but the input policy (stretch) gives 64",
    ]);
    expect(checkManifestAgainstIO(cap, { encoder: io([], [T('image', [1, 3, 64, 64])]), decoderStep: io([], []) })).toEqual([
      'the encoder has no output "features" (outputs: )',
      'the encoder has no output "h0" (outputs: )',
      'the decoder step has no input "token" (inputs: )',
      'the decoder step has no input "h" (inputs: )',
      'the decoder step has no input "features" (inputs: )',
      'the decoder step has no output "h_out" (outputs: )',
      'the decoder step has no output "attention" (outputs: )',
      'the decoder step has no output "logits" (outputs: )',
    ]);
  });
});
