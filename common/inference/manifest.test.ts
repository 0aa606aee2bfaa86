import { describe, expect, it } from 'vitest';
import { CaptionerSpec, DecoderName, EXACT_BY_DEFAULT, InputPolicy, ModelManifest, resolveInput, TextDetectorSpec, Thresholds } from './manifest.js';

const minimal = { name: 'm', kind: 'detector', decoder: 'yolov8', files: { model: 'm.onnx' }, input: {} } as const;
const issues = (input: unknown) => {
  const r = ModelManifest.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => [i.path.join('.'), i.message]);
};

describe('ModelManifest', () => {
  it('fills every default of a minimal manifest', () => {
    expect(ModelManifest.parse(minimal)).toEqual({
      schema: 1,
      name: 'm',
      kind: 'detector',
      decoder: 'yolov8',
      description: '',
      license: 'unknown',
      source: '',
      files: { model: 'm.onnx' },
      input: { resize: 'stretch', multiple: 1, padValue: 114, scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], channels: 'RGB', layout: 'NCHW', dtype: 'float32' },
      outputs: {},
      classes: [],
      labelOffset: 0,
      thresholds: { score: 0.25, iou: 0.45, mask: 0.5, maxDetections: 300 },
      nms: 'class-aware',
    });
    expect(InputPolicy.parse({}).scale).toBe(1 / 255);
    expect(Thresholds.parse({})).toEqual({ score: 0.25, iou: 0.45, mask: 0.5, maxDetections: 300 });
    expect(TextDetectorSpec.parse({})).toEqual({ binaryThreshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5, minSize: 3 });
    expect(CaptionerSpec.parse({ cell: 'gru', vocabulary: ['<start>', '<end>', 'a'], featureGrid: [2, 2] })).toEqual({
      cell: 'gru',
      vocabulary: ['<start>', '<end>', 'a'],
      startToken: '<start>',
      endToken: '<end>',
      maxLength: 20,
      beamSize: 3,
      featureGrid: [2, 2],
    });
    expect(ModelManifest.parse({ ...minimal, kind: 'keypoints', keypoints: { names: ['a'] } }).keypoints).toEqual({ names: ['a'], skeleton: [] });
  });

  it('takes a name of lowercase letters, digits, ".", "_" and "-" up to 64 characters, starting with a letter or digit', () => {
    for (const ok of ['a', '0', 'shapes-det_v1.2', 'x'.repeat(64)]) expect(issues({ ...minimal, name: ok }), ok).toEqual([]);
    for (const bad of ['', '-a', '.a', 'A', 'a b', 'x'.repeat(65), 'a/b', 'ab!', '!ab']) {
      expect(issues({ ...minimal, name: bad }), bad).toEqual([['name', 'lowercase letters, digits, ".", "_" and "-"']]);
    }
  });

  it('refuses a captioner with one graph, a one-graph model with two, a captioner without its section and keypoints without names', () => {
    expect(issues({ ...minimal, decoder: 'recurrent-captioner', kind: 'captioner' })).toEqual([
      ['files', 'a recurrent-captioner has files {encoder, decoderStep}; every other decoder has {model}'],
      ['captioner', 'a captioner needs its captioner section (cell, vocabulary, featureGrid)'],
    ]);
    expect(issues({ ...minimal, files: { encoder: 'e.onnx', decoderStep: 'd.onnx' } })).toEqual([
      ['files', 'a recurrent-captioner has files {encoder, decoderStep}; every other decoder has {model}'],
    ]);
    expect(issues({ ...minimal, kind: 'keypoints' })).toEqual([['keypoints', 'a keypoints model needs keypoints.names']]);
    const captioner = { ...minimal, kind: 'captioner', decoder: 'recurrent-captioner', files: { encoder: 'e.onnx', decoderStep: 'd.onnx' } };
    expect(issues({ ...captioner, captioner: { cell: 'lstm', vocabulary: ['<start>', '<end>', 'a'], featureGrid: [1, 4] } })).toEqual([]);
    for (const cell of ['rnn', 'gru', 'lstm']) expect(issues({ ...captioner, captioner: { cell, vocabulary: ['s', 'e', 'a'], featureGrid: [1, 1] } })).toEqual([]);
    expect(issues({ ...captioner, captioner: { cell: '', vocabulary: ['s', 'e', 'a'], featureGrid: [1, 1] } })[0][0]).toBe('captioner.cell');
    for (const resize of ['letterbox', 'stretch', 'fit-max', 'height']) expect(issues({ ...minimal, input: { resize } })).toEqual([]);
    expect(issues({ ...minimal, input: { resize: '' } })[0][0]).toBe('input.resize');
  });

  it('takes input.resample and input.letterbox, refuses unknown values by name, and leaves them unset when missing', () => {
    for (const resample of ['bilinear', 'area', 'antialias', 'nearest']) expect(issues({ ...minimal, input: { resample } })).toEqual([]);
    for (const letterbox of ['ultralytics', 'per-axis']) expect(issues({ ...minimal, input: { resize: 'letterbox', letterbox } })).toEqual([]);
    expect(issues({ ...minimal, input: { resample: 'cubic' } })).toEqual([['input.resample', 'unknown resampling "cubic": use "bilinear", "area", "antialias", "nearest" (see models/README.md)']]);
    expect(issues({ ...minimal, input: { resample: 1 } })).toEqual([['input.resample', 'unknown resampling 1: use "bilinear", "area", "antialias", "nearest" (see models/README.md)']]);
    expect(issues({ ...minimal, input: { letterbox: 'yolo' } })).toEqual([['input.letterbox', 'unknown letterbox geometry "yolo": use "ultralytics" or "per-axis"']]);
    const parsed = ModelManifest.parse(minimal);
    expect('resample' in parsed.input || 'letterbox' in parsed.input).toBe(false);
  });

  it('resolves a missing resample and letterbox to the family default; a manifest that says one keeps it', () => {
    const family = (decoder: DecoderName) => resolveInput({ decoder, input: InputPolicy.parse({}) });
    for (const d of ['yolov5', 'yolov8', 'yolov8-seg'] as const) expect(family(d)).toMatchObject({ resample: 'bilinear', letterbox: 'ultralytics' });
    for (const d of ['torchvision-detection', 'torchvision-maskrcnn', 'semantic-logits', 'db-text', 'ctc', 'blazeface'] as const) {
      expect(family(d)).toMatchObject({ resample: 'bilinear', letterbox: 'per-axis' });
    }
    for (const d of ['cls-loc', 'recurrent-captioner'] as const) expect(family(d)).toMatchObject({ resample: 'antialias', letterbox: 'per-axis' });
    expect(DecoderName.options.map(family).every((p) => p.resample && p.letterbox)).toBe(true);
    expect(resolveInput({ decoder: 'yolov8', input: InputPolicy.parse({ resample: 'area', letterbox: 'per-axis' }) })).toMatchObject({ resample: 'area', letterbox: 'per-axis' });
  });

  it('input.exact: a boolean, missing means EXACT_BY_DEFAULT (the full decode), false opts in to the reduced-scale JPEG decode', () => {
    expect(EXACT_BY_DEFAULT).toBe(true);
    expect(resolveInput({ decoder: 'yolov8', input: InputPolicy.parse({}) }).exact).toBe(EXACT_BY_DEFAULT);
    expect(resolveInput({ decoder: 'yolov8', input: InputPolicy.parse({ exact: false }) }).exact).toBe(false);
    expect(resolveInput({ decoder: 'yolov8', input: InputPolicy.parse({ exact: true }) }).exact).toBe(true);
    expect(issues({ ...minimal, input: { exact: 'yes' } }).map(([where]) => where)).toEqual(['input.exact']);
    expect('exact' in ModelManifest.parse(minimal).input).toBe(false);
  });
});
