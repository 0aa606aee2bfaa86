/**
 * A model = ONNX file(s) + this manifest: what the graph cannot say about itself (how to feed it, how to read its
 * outputs, class names, thresholds). Pure zod: shared by the core, the CLI and the renderer's manifest editor.
 */
import { z } from 'zod';

export const ModelKind = z.enum([
  'detector',
  'instance-segmenter',
  'semantic-segmenter',
  'classifier-localizer',
  'keypoints',
  'captioner',
  'text-detector',
  'text-recognizer',
]);
export type ModelKind = z.infer<typeof ModelKind>;

/** Each decoder is a pure function in common/inference/decoders; the name picks it. */
export const DecoderName = z.enum([
  'yolov5', // [1, N, 5 + C]: cx, cy, w, h, objectness, class scores
  'yolov8', // [1, 4 + C, N]: cx, cy, w, h, class scores (also YOLO11)
  'yolov8-seg', // [1, 4 + C + M, N] + prototypes [1, M, Hp, Wp]
  'torchvision-detection', // boxes [N,4] (x1,y1,x2,y2), labels [N], scores [N]: Faster R-CNN, RetinaNet, SSD, SSDlite
  'torchvision-maskrcnn', // + masks [N,1,Hm,Wm] probabilities already pasted at input size
  'semantic-logits', // [1, C, H, W] logits → label map + per-class score maps
  'db-text', // PP-OCR / DBNet probability map [1, 1, H, W] → polygons
  'ctc', // [1, T, C] per-step class probabilities, blank = 0 → text
  'blazeface', // regressors [1, 896, 16] + classificators [1, 896, 1] with SSD anchors → boxes + 6 landmarks
  'cls-loc', // class logits [1, C] + one box [1, 4] (+ optional keypoints [1, K*2|K*3])
  'recurrent-captioner', // encoder + decoder step, greedy or beam search, attention per token
]);
export type DecoderName = z.infer<typeof DecoderName>;

/**
 * How the image is resampled to the input size, as the framework the model came from does it (see models/README.md):
 * bilinear: half-pixel centres, no antialias (PyTorch interpolate, torchvision tensor transforms, OpenCV INTER_LINEAR:
 * Ultralytics, PaddleOCR, MediaPipe); area: OpenCV INTER_AREA; antialias: a linear kernel widened when shrinking
 * (PIL's BILINEAR, sharp's linear kernel); nearest: OpenCV INTER_NEAREST / PyTorch mode="nearest".
 */
export const RESAMPLE_KINDS = ['bilinear', 'area', 'antialias', 'nearest'] as const;
export const Resample = z.enum(RESAMPLE_KINDS, {
  error: (iss) => `unknown resampling ${JSON.stringify(iss.input)}: use ${RESAMPLE_KINDS.map((k) => `"${k}"`).join(', ')} (see models/README.md)`,
});
export type Resample = z.infer<typeof Resample>;

/**
 * Where a letterboxed image sits and how predictions map back. ultralytics: Ultralytics' LetterBox and scale_boxes
 * (r = min(h/H, w/W), content round(W·r) × round(H·r) half to even, padding round(d/2 − 0.1) before and the rest
 * after, predictions divided by r); per-axis: content rounded half up, padding ⌊d/2⌋ before, predictions mapped
 * back per axis by content/size.
 */
export const LETTERBOX_KINDS = ['ultralytics', 'per-axis'] as const;
export const Letterbox = z.enum(LETTERBOX_KINDS, {
  error: (iss) => `unknown letterbox geometry ${JSON.stringify(iss.input)}: use ${LETTERBOX_KINDS.map((k) => `"${k}"`).join(' or ')}`,
});
export type Letterbox = z.infer<typeof Letterbox>;

export const InputPolicy = z
  .object({
    /** Name of the graph input holding the image; default: the first input. */
    name: z.string().optional(),
    /**
     * letterbox: keep aspect, pad to width×height (YOLO); stretch: resize to width×height ignoring aspect;
     * fit-max: keep aspect, longest side ≤ maxSide, each side rounded to a multiple of `multiple` (PP-OCR det);
     * height: scale to `height` keeping aspect, width padded to `width` (text recognition).
     */
    resize: z.enum(['letterbox', 'stretch', 'fit-max', 'height']).default('stretch'),
    /** The resampling filter; missing: the decoder family's (`defaultResample`). */
    resample: Resample.optional(),
    /**
     * false: a JPEG whose resize target is at most half of it on both axes is decoded at libjpeg's reduced DCT scale
     * (1/2, 1/4 or 1/8, the smallest that still covers the target) before `bilinear`, `area` or `nearest` resample
     * it: several times faster, other pixels. true: always from the photo decoded in full, the framework's pixels.
     * Missing: `EXACT_BY_DEFAULT` (see models/README.md, "Reduced-scale JPEG decoding"). `antialias` is unaffected
     * (libvips shrinks JPEGs on load for it anyway).
     */
    exact: z.boolean().optional(),
    /** Letterbox geometry; missing: the decoder family's (`defaultLetterbox`). */
    letterbox: Letterbox.optional(),
    width: z.number().int().positive().optional(),
    height: z.number().int().positive().optional(),
    maxSide: z.number().int().positive().optional(),
    multiple: z.number().int().positive().default(1),
    /** Pixel value (0..255) used for padding. */
    padValue: z.number().min(0).max(255).default(114),
    /** Pixels are first multiplied by `scale` (e.g. 1/255), then `(x - mean) / std` per channel. */
    scale: z.number().default(1 / 255),
    mean: z.tuple([z.number(), z.number(), z.number()]).default([0, 0, 0]),
    std: z.tuple([z.number(), z.number(), z.number()]).default([1, 1, 1]),
    channels: z.enum(['RGB', 'BGR']).default('RGB'),
    layout: z.enum(['NCHW', 'NHWC']).default('NCHW'),
    dtype: z.enum(['float32', 'uint8']).default('float32'),
  })
  .strict();
export type InputPolicy = z.infer<typeof InputPolicy>;

export const Thresholds = z
  .object({
    score: z.number().min(0).max(1).default(0.25),
    iou: z.number().min(0).max(1).default(0.45),
    mask: z.number().min(0).max(1).default(0.5),
    maxDetections: z.number().int().positive().default(300),
  })
  .strict();
export type Thresholds = z.infer<typeof Thresholds>;

export const CaptionerSpec = z
  .object({
    /** Recurrent cell of the decoder: its state is h (rnn, gru) or h and c (lstm). */
    cell: z.enum(['rnn', 'lstm', 'gru']),
    vocabulary: z.array(z.string()).min(3),
    startToken: z.string().default('<start>'),
    endToken: z.string().default('<end>'),
    maxLength: z.number().int().positive().default(20),
    beamSize: z.number().int().positive().default(3),
    /** Rows × columns of the encoder's feature grid, to draw attention over the image. */
    featureGrid: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  })
  .strict();

export const TextDetectorSpec = z
  .object({
    binaryThreshold: z.number().default(0.3),
    boxThreshold: z.number().default(0.6),
    unclipRatio: z.number().default(1.5),
    minSize: z.number().default(3),
    /** A text-recognizer model run on each detected region (its text lands in the polygon's extras). */
    recognizer: z.string().optional(),
  })
  .strict();

export const TextRecognizerSpec = z
  .object({
    /** Characters for class indices 1..C-1 (0 is the CTC blank); a trailing ' ' class is common. */
    alphabet: z.array(z.string()).optional(),
    /** Or a file beside the manifest, one character per line. */
    alphabetFile: z.string().optional(),
  })
  .strict();

export const ModelManifest = z
  .object({
    schema: z.literal(1).default(1),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, ".", "_" and "-"'),
    title: z.string().optional(),
    kind: ModelKind,
    decoder: DecoderName,
    description: z.string().default(''),
    license: z.string().default('unknown'),
    source: z.string().default(''),
    /**
     * ONNX files relative to the manifest: `model` for one-graph models; captioners have `encoder` and
     * `decoderStep` (inputs token [B] int64, state(s) [B,H], features [B,L,D]; outputs logits [B,V],
     * the new state(s), attention [B,L]).
     */
    files: z.union([
      z.object({ model: z.string() }).strict(),
      z.object({ encoder: z.string(), decoderStep: z.string() }).strict(),
    ]),
    input: InputPolicy,
    /** Output names by role when they differ from the decoder's defaults (e.g. {boxes: 'dets', scores: 'conf'}). */
    outputs: z.record(z.string(), z.string()).default({}),
    classes: z.array(z.string()).default([]),
    /** torchvision detectors count the background as class 0; set 1 so labels index `classes` from 1. */
    labelOffset: z.number().int().default(0),
    thresholds: Thresholds.default({ score: 0.25, iou: 0.45, mask: 0.5, maxDetections: 300 }),
    nms: z.enum(['class-aware', 'agnostic', 'none']).default('class-aware'),
    keypoints: z
      .object({ names: z.array(z.string()), skeleton: z.array(z.tuple([z.number().int(), z.number().int()])).default([]) })
      .strict()
      .optional(),
    captioner: CaptionerSpec.optional(),
    textDetector: TextDetectorSpec.optional(),
    textRecognizer: TextRecognizerSpec.optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const twoGraphs = 'encoder' in m.files;
    if ((m.decoder === 'recurrent-captioner') !== twoGraphs) {
      ctx.addIssue({ code: 'custom', path: ['files'], message: 'a recurrent-captioner has files {encoder, decoderStep}; every other decoder has {model}' });
    }
    if (m.decoder === 'recurrent-captioner' && !m.captioner) ctx.addIssue({ code: 'custom', path: ['captioner'], message: 'a captioner needs its captioner section (cell, vocabulary, featureGrid)' });
    if (m.kind === 'keypoints' && !m.keypoints) ctx.addIssue({ code: 'custom', path: ['keypoints'], message: 'a keypoints model needs keypoints.names' });
  });
export type ModelManifest = z.output<typeof ModelManifest>;
export type ModelManifestInput = z.input<typeof ModelManifest>;

/**
 * The resampling a decoder family's models are made with when the manifest does not say: bilinear without antialias
 * for the frameworks whose layouts the decoders read (Ultralytics and PaddleOCR through OpenCV's INTER_LINEAR,
 * torchvision's tensor transforms, MediaPipe); antialias (PIL's BILINEAR, as torchvision's transforms on PIL images)
 * for the layouts people train themselves in PyTorch.
 */
export function defaultResample(decoder: DecoderName): Resample {
  return decoder === 'cls-loc' || decoder === 'recurrent-captioner' ? 'antialias' : 'bilinear';
}

/** Ultralytics' geometry for its layouts, per-axis for the rest. */
export function defaultLetterbox(decoder: DecoderName): Letterbox {
  return decoder === 'yolov5' || decoder === 'yolov8' || decoder === 'yolov8-seg' ? 'ultralytics' : 'per-axis';
}

/**
 * Whether a manifest without `input.exact` resamples from the full decode. The reduced-scale decode is on by default
 * only where it keeps predictions within 1 px and 0.01 of score of the full decode's; measured on the camera-photo
 * benchmark (bench/camera.ts: 100 photos of 4000×3000, the shapes detector at 640 px, every prediction), it does not,
 * for any of bilinear, area and nearest: box edges moved by up to 39, 14 and 30 input pixels, scores by 0.25, 0.04
 * and 0.14 (a random ±1-level change of the full decode's input moves that model's boxes in photo texture by up to
 * 34 px and 0.07 too, but its 99th percentile is 0.6 px against 7.8 for bilinear). So it is opt-in.
 */
export const EXACT_BY_DEFAULT = true;

export type ResolvedInputPolicy = InputPolicy & { resample: Resample; letterbox: Letterbox; exact: boolean };

/** The manifest's input policy with the family defaults filled in: what the runtime plans and resamples with. */
export function resolveInput(manifest: { decoder: DecoderName; input: InputPolicy }): ResolvedInputPolicy {
  const { input, decoder } = manifest;
  return {
    ...input,
    resample: input.resample ?? defaultResample(decoder),
    letterbox: input.letterbox ?? defaultLetterbox(decoder),
    exact: input.exact ?? EXACT_BY_DEFAULT,
  };
}
