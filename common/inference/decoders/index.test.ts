import { describe, expect, it } from 'vitest';
import { decodeBlazeFace } from './blazeface.js';
import { decodeClsLoc } from './clsLoc.js';
import { decodeCtc } from './ctc.js';
import { decodeDbText } from './dbText.js';
import { DECODERS, decoderFor } from './index.js';
import { decodeSemanticLogits } from './semantic.js';
import { decodeTorchvisionDetection, decodeTorchvisionMaskRcnn } from './torchvision.js';
import { decodeYoloV5, decodeYoloV8, decodeYoloV8Seg } from './yolo.js';

describe('decoderFor', () => {
  it('maps every one-graph decoder name to its function', () => {
    expect(DECODERS).toEqual({
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
    });
    expect(decoderFor('yolov8')).toBe(decodeYoloV8);
    expect(decoderFor('ctc')).toBe(decodeCtc);
  });

  it('refuses the captioner, whose search drives a second graph', () => {
    expect(() => decoderFor('recurrent-captioner')).toThrow('a recurrent captioner is decoded by its caption search, not a one-graph decoder');
  });
});
