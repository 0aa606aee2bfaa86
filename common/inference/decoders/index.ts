/** The manifest's decoder name → its function. The captioner is not here: its search drives a second graph. */
import type { DecoderName } from '../manifest.js';
import { decodeBlazeFace } from './blazeface.js';
import { decodeClsLoc } from './clsLoc.js';
import { decodeCtc } from './ctc.js';
import { decodeDbText } from './dbText.js';
import { decodeSemanticLogits } from './semantic.js';
import { decodeTorchvisionDetection, decodeTorchvisionMaskRcnn } from './torchvision.js';
import type { Decoder } from './types.js';
import { decodeYoloV5, decodeYoloV8, decodeYoloV8Seg } from './yolo.js';

export const DECODERS: Record<Exclude<DecoderName, 'recurrent-captioner'>, Decoder> = {
  yolov5: decodeYoloV5,
  yolov8: decodeYoloV8,
  'yolov8-seg': decodeYoloV8Seg,
  'torchvision-detection': decodeTorchvisionDetection,
  'torchvision-maskrcnn': decodeTorchvisionMaskRcnn,
  'semantic-logits': decodeSemanticLogits,
  'db-text': decodeDbText,
  ctc: decodeCtc,
  blazeface: decodeBlazeFace,
  'cls-loc': decodeClsLoc,
};

export function decoderFor(name: DecoderName): Decoder {
  if (name === 'recurrent-captioner') throw new Error('a recurrent captioner is decoded by its caption search, not a one-graph decoder');
  return DECODERS[name];
}
