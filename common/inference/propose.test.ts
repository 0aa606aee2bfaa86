import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '../api/contract.js';
import { ModelManifest, type ModelManifestInput } from './manifest.js';
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
