"""Small exports of torchvision's detection and segmentation graphs, for the TypeScript decoder tests.

The full-size models are tens of MB, so each graph here is the same torchvision class with the same
post-processing (transform, anchors, NMS, RoiAlign, mask pasting) but a narrow MobileNetV3 backbone
(width_mult 0.25) and narrow heads, with seeded random weights. Score thresholds are 0 so every graph
returns detections. Beside each `<name>.onnx` we save PyTorch's own outputs on a real photo
(`<name>.json`) so a test can decode onnxruntime's outputs and compare them with PyTorch's.

    /usr/bin/python3 models/train/layouts.py [--out test/fixtures/layouts]
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch
from PIL import Image
from torch import nn
from torchvision.models import mobilenet_v3_large
from torchvision.models.detection import FasterRCNN, MaskRCNN, RetinaNet, ssdlite320_mobilenet_v3_large
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.retinanet import RetinaNetHead
from torchvision.models.detection.ssd import SSD
from torchvision.models.segmentation.deeplabv3 import ASPP, _deeplabv3_mobilenetv3
from torchvision.models.segmentation.lraspp import _lraspp_mobilenetv3
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool, LastLevelP6P7

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PHOTO = '/usr/lib/python3/dist-packages/skimage/data/chelsea.png'
OPSET = 17
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def fix_roi_align(path):
    """torch 1.13 exports torchvision's RoiAlign (aligned=False) at opset >= 16 without
    coordinate_transformation_mode, so onnxruntime applies the default 'half_pixel' and every pooled
    feature shifts by half a pixel. aligned=False is 'output_half_pixel'; write it into each node."""
    model = onnx.load(path)
    patched = 0
    for node in model.graph.node:
        if node.op_type != 'RoiAlign':
            continue
        attrs = [a for a in node.attribute if a.name != 'coordinate_transformation_mode']
        del node.attribute[:]
        node.attribute.extend(attrs + [onnx.helper.make_attribute('coordinate_transformation_mode', 'output_half_pixel')])
        patched += 1
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return patched


def export(model, args, path, input_names, output_names, dynamic_axes=None):
    torch.onnx.export(model, args, path, opset_version=OPSET, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, do_constant_folding=True)
    return fix_roi_align(path)


def load_photo(width, height):
    """The photo as uint8 HWC resized with PIL, and the float CHW tensor in [0, 1] a runtime would feed."""
    img = Image.open(PHOTO).convert('RGB').resize((width, height), Image.BILINEAR)
    arr = np.asarray(img, dtype=np.uint8)
    return img, torch.from_numpy(arr.astype(np.float32) / 255.0).permute(2, 0, 1).contiguous()


def mask_rle(mask):
    """COCO uncompressed RLE, column-major, starting with a run of zeros (the contract's mask geometry)."""
    flat = np.asarray(mask, dtype=np.uint8).flatten(order='F')
    counts, prev, run = [], 0, 0
    for v in flat:
        if v != prev:
            counts.append(run)
            prev, run = v, 0
        run += 1
    counts.append(run)
    return {'size': [int(mask.shape[0]), int(mask.shape[1])], 'counts': [int(c) for c in counts]}


def tiny_mobilenet(dilated=False):
    return mobilenet_v3_large(weights=None, width_mult=0.25, dilated=dilated)


def tiny_fpn(returned, out_channels, extra):
    """torchvision's _mobilenet_extractor with fpn=True, but a narrow FPN (it hard-codes 256 channels)."""
    features = tiny_mobilenet().features
    stages = [0] + [i for i, b in enumerate(features) if getattr(b, '_is_cn', False)] + [len(features) - 1]
    picked = [stages[len(stages) + k] for k in returned]
    return BackboneWithFPN(features, {str(p): str(i) for i, p in enumerate(picked)},
                           [features[p].out_channels for p in picked], out_channels, extra_blocks=extra)


RCNN_ANCHORS = dict(sizes=((32, 64, 128, 256, 512),) * 3, aspect_ratios=((0.5, 1.0, 2.0),) * 3)
DETECTOR_SIZE = dict(min_size=240, max_size=320)


def faster_rcnn():
    # As fasterrcnn_mobilenet_v3_large_320_fpn (2 FPN levels + max pool, 3 anchor sets), but narrow.
    c = 32
    return FasterRCNN(tiny_fpn([-2, -1], c, LastLevelMaxPool()), num_classes=None,
                      rpn_anchor_generator=AnchorGenerator(**RCNN_ANCHORS),
                      box_head=TwoMLPHead(c * 7 * 7, 64), box_predictor=FastRCNNPredictor(64, 4),
                      rpn_pre_nms_top_n_test=150, rpn_post_nms_top_n_test=150, box_score_thresh=0.0,
                      box_detections_per_img=50, **DETECTOR_SIZE)


def mask_rcnn():
    c = 32
    return MaskRCNN(tiny_fpn([-2, -1], c, LastLevelMaxPool()), num_classes=None,
                    rpn_anchor_generator=AnchorGenerator(**RCNN_ANCHORS),
                    box_head=TwoMLPHead(c * 7 * 7, 64), box_predictor=FastRCNNPredictor(64, 4),
                    mask_head=MaskRCNNHeads(c, (32, 32), 1), mask_predictor=MaskRCNNPredictor(32, 32, 4),
                    rpn_pre_nms_top_n_test=150, rpn_post_nms_top_n_test=150, box_score_thresh=0.0,
                    box_detections_per_img=20, **DETECTOR_SIZE)


def retinanet():
    # retinanet_resnet50_fpn's anchors, P3-P5 + P6/P7 and head, on a narrow MobileNetV3 instead of ResNet-50.
    c = 32
    sizes = tuple((x, int(x * 2 ** (1.0 / 3)), int(x * 2 ** (2.0 / 3))) for x in [32, 64, 128, 256, 512])
    anchors = AnchorGenerator(sizes, ((0.5, 1.0, 2.0),) * len(sizes))
    return RetinaNet(tiny_fpn([-3, -2, -1], c, LastLevelP6P7(c, c)), 4, anchor_generator=anchors,
                     head=RetinaNetHead(c, anchors.num_anchors_per_location()[0], 4),
                     score_thresh=0.0, detections_per_img=50, topk_candidates=200, **DETECTOR_SIZE)


def ssdlite():
    return ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=4, width_mult=0.25,
                                         score_thresh=0.0, detections_per_img=50, topk_candidates=200)


def deeplab():
    model = _deeplabv3_mobilenetv3(tiny_mobilenet(dilated=True), 4, aux=False)
    # DeepLabHead with 32 instead of 256 channels (ASPP takes the width; DeepLabHead hard-codes it).
    model.classifier = nn.Sequential(ASPP(model.classifier[0].convs[0][0].in_channels, [12, 24, 36], 32),
                                     nn.Conv2d(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                                     nn.Conv2d(32, 4, 1))
    return model


def lraspp():
    return _lraspp_mobilenetv3(tiny_mobilenet(dilated=True), 4)


class SegmentationOut(nn.Module):
    """torchvision segmenters return {'out': logits}; the export keeps that one output."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)['out']


@torch.no_grad()
def randomize_batchnorm(model, gen):
    # Fresh BatchNorm layers are identities in eval mode; random statistics make the logits vary in space.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)


@torch.no_grad()
def calibrate_batchnorm(module, x):
    """SSDlite's init makes deep activations so small that fixed BatchNorm statistics flatten them to a
    constant and many anchors score exactly alike. Statistics measured on the image keep them apart."""
    bns = [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    module(torch.cat([x, x.flip(-1), x.flip(-2), x * 0.8]))  # a batch: the 1×1 maps need more than one value
    for m in bns:
        m.eval()


@torch.no_grad()
def spread_head(model, gen):
    """RetinaNet and SSD initialise their heads so every anchor scores about the same (a 0.01 prior, tiny
    weights): the exported scores would tie and the order of tied detections is arbitrary. He-normal head
    weights and random biases spread them."""
    for m in model.head.modules():
        if isinstance(m, nn.Conv2d):
            fan_in = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
            m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2 / fan_in) ** 0.5)
            if m.bias is not None:
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)


def center_logits(model, x):
    """Random weights give each class a near-constant logit, so one class would win everywhere. Shift the last
    classifier's bias so every class has mean 0 on this image: the label map then follows the image."""
    last = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.out_channels == 4][-1]
    with torch.no_grad():
        last.bias -= model(x)[0].mean(dim=(1, 2))


DETECTORS = {
    # name: (builder, torchvision class, output names in graph order)
    'fasterrcnn-tiny': (faster_rcnn, 'FasterRCNN', ['boxes', 'labels', 'scores']),
    'maskrcnn-tiny': (mask_rcnn, 'MaskRCNN', ['boxes', 'labels', 'scores', 'masks']),
    'retinanet-tiny': (retinanet, 'RetinaNet', ['boxes', 'scores', 'labels']),
    'ssdlite-tiny': (ssdlite, 'SSD (ssdlite320_mobilenet_v3_large, width_mult 0.25)', ['boxes', 'scores', 'labels']),
}
SEGMENTERS = {
    'deeplabv3-tiny': (deeplab, 'DeepLabV3 (MobileNetV3 backbone)'),
    'lraspp-tiny': (lraspp, 'LRASPP (lraspp_mobilenet_v3_large)'),
}
SEG_SAMPLE_STRIDE = 8


def floats(t):
    return [float(v) for v in t.flatten().tolist()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=os.path.join(ROOT, 'test', 'fixtures', 'layouts'))
    ap.add_argument('--only', nargs='*')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)

    det_w, det_h = 320, 240
    img, det_x = load_photo(det_w, det_h)
    img.save(os.path.join(args.out, 'chelsea-320x240.png'))
    seg_w, seg_h = 160, 128
    simg, seg_x = load_photo(seg_w, seg_h)
    simg.save(os.path.join(args.out, 'chelsea-160x128.png'))
    seg_norm = (seg_x - torch.tensor(IMAGENET_MEAN)[:, None, None]) / torch.tensor(IMAGENET_STD)[:, None, None]

    for i, (name, (build, cls, outs)) in enumerate(DETECTORS.items()):
        if args.only and name not in args.only:
            continue
        gen = torch.Generator().manual_seed(1000 + i)
        torch.manual_seed(1000 + i)
        model = build().eval()
        randomize_batchnorm(model, gen)
        if isinstance(model, SSD):
            calibrate_batchnorm(model.backbone, model.transform([det_x])[0].tensors)
        if isinstance(model, (RetinaNet, SSD)):
            spread_head(model, gen)
        path = os.path.join(args.out, f'{name}.onnx')
        patched = export(model, ([det_x],), path, ['image'], outs)
        with torch.no_grad():
            out = model([det_x])[0]
        result = {}
        for k in outs:
            v = out[k]
            if k == 'masks':
                result['masksRle'] = [mask_rle((m[0] >= 0.5).numpy()) for m in v]
                result['masksSum'] = floats(v.sum(dim=(1, 2, 3)))
            elif k == 'labels':
                result[k] = [int(x) for x in v.tolist()]
            else:
                result[k] = floats(v)
        meta = {
            'model': cls,
            'made': 'models/train/layouts.py: seeded random weights, score threshold 0',
            'image': 'chelsea-320x240.png',
            'input': {'name': 'image', 'shape': [3, det_h, det_w], 'scale': 1 / 255, 'mean': [0, 0, 0], 'std': [1, 1, 1],
                      'note': 'no batch axis: torchvision detectors take a list of [3,H,W] images and normalise inside the graph'},
            'outputNames': outs,
            'roiAlignPatched': patched,
            'labelOffset': 1,
            'outputs': result,
        }
        with open(os.path.join(args.out, f'{name}.json'), 'w') as f:
            json.dump(meta, f)
        n = len(result['scores'])
        print(f'{name}: {os.path.getsize(path) / 1e6:.2f} MB, {n} detections, RoiAlign patched: {patched}', flush=True)

    for i, (name, (build, cls)) in enumerate(SEGMENTERS.items()):
        if args.only and name not in args.only:
            continue
        gen = torch.Generator().manual_seed(2000 + i)
        torch.manual_seed(2000 + i)
        model = SegmentationOut(build()).eval()
        randomize_batchnorm(model, gen)
        path = os.path.join(args.out, f'{name}.onnx')
        x = seg_norm[None]
        center_logits(model, x)
        export(model, (x,), path, ['input'], ['out'])
        with torch.no_grad():
            logits = model(x)[0]
        labels = logits.argmax(0).numpy().astype(np.uint8)
        s = SEG_SAMPLE_STRIDE
        meta = {
            'model': cls,
            'made': 'models/train/layouts.py: seeded random weights',
            'image': 'chelsea-160x128.png',
            'input': {'name': 'input', 'shape': [1, 3, seg_h, seg_w], 'scale': 1 / 255, 'mean': IMAGENET_MEAN, 'std': IMAGENET_STD},
            'outputNames': ['out'],
            'outputs': {
                'outShape': list(logits[None].shape),
                # Full logits would be 80k floats; a strided sample pins the values, the label map the argmax.
                'logitsSampleStride': s,
                'logitsSample': floats(logits[:, ::s, ::s]),
                'logitsSampleShape': list(logits[:, ::s, ::s].shape),
                'labelCounts': [int((labels == c).sum()) for c in range(logits.shape[0])],
                'labelsRle': [mask_rle(labels == c) for c in range(logits.shape[0])],
            },
        }
        with open(os.path.join(args.out, f'{name}.json'), 'w') as f:
            json.dump(meta, f)
        print(f'{name}: {os.path.getsize(path) / 1e6:.2f} MB, label counts {meta["outputs"]["labelCounts"]}', flush=True)


if __name__ == '__main__':
    sys.exit(main())
