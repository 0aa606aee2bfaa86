"""shapes-maskrcnn: torchvision's MaskRCNN on a small backbone, exported with its region proposals.

Backbone: a 4×4 patchify stem to 1/4 and strided residual conv stages to 1/8, 1/16, 1/32 (BN + SiLU), a
32-channel FPN with a max-pooled extra level (5 levels, one anchor size per level × 3 ratios), torchvision's
RPN, a 128-wide TwoMLPHead box head and a 2-conv mask head (28×28 masks). weights=None: trained from scratch.
The exported graph takes `image` [1, 3, 256, 256] (RGB / 255) and returns torchvision's `boxes`, `labels`,
`scores`, `masks` (probabilities pasted at input size) plus `proposals` [P, 4] and `proposal_scores` [P]:
the RPN's top proposals after its NMS, for the UI to draw. RoiAlign nodes are patched after export (see
layouts.fix_roi_align).

    /usr/bin/python3 models/train/maskrcnn.py train --data /tmp/shapes-101 --minutes 35
    /usr/bin/python3 models/train/maskrcnn.py eval --val /tmp/shapes-heldout     # mask and box AP, held-out set
    /usr/bin/python3 models/train/maskrcnn.py export --val /tmp/shapes-heldout   # model.onnx + golden/
"""
import math
import os
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
from torch import nn
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.rpn import concat_box_prediction_layers
from torchvision.models.detection.transform import resize_boxes
from torchvision.ops import FeaturePyramidNetwork, MultiScaleRoIAlign
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import check_onnx, golden_images, log, save_json, setup, training_parser  # noqa: E402
from dataset import CATEGORIES, image_path, instances, load_coco, load_images  # noqa: E402
from layouts import fix_roi_align, mask_rle  # noqa: E402
from metrics import box_ap, mask_ap  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, 'models', 'shapes-maskrcnn')
SIZE = 256
PROPOSALS = 100
SCORE_THRESH = 0.01


def conv(c_in, c_out, s=1):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, s, 1, bias=False), nn.BatchNorm2d(c_out), nn.SiLU())


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(conv(c, c), conv(c, c))

    def forward(self, x):
        return x + self.body(x)


class Backbone(nn.Module):
    def __init__(self, w=(32, 48, 64, 96), out_channels=32):
        super().__init__()
        self.c2 = nn.Sequential(nn.Conv2d(3, w[0], 4, 4, bias=False), nn.BatchNorm2d(w[0]), nn.SiLU(), conv(w[0], w[0]))
        self.c3 = nn.Sequential(conv(w[0], w[1], 2), Residual(w[1]))
        self.c4 = nn.Sequential(conv(w[1], w[2], 2), Residual(w[2]))
        self.c5 = nn.Sequential(conv(w[2], w[3], 2), Residual(w[3]))
        self.fpn = FeaturePyramidNetwork(list(w), out_channels, extra_blocks=LastLevelMaxPool())
        self.out_channels = out_channels

    def forward(self, x):
        c2 = self.c2(x)
        c3 = self.c3(c2)
        c4 = self.c4(c3)
        c5 = self.c5(c4)
        return self.fpn(OrderedDict([('0', c2), ('1', c3), ('2', c4), ('3', c5)]))


def build(score_thresh=SCORE_THRESH):
    backbone = Backbone()
    c = backbone.out_channels
    anchors = AnchorGenerator(((16,), (32,), (64,), (128,), (256,)), ((0.5, 1.0, 2.0),) * 5)
    levels = ['0', '1', '2', '3']
    return MaskRCNN(
        backbone, num_classes=None, min_size=SIZE, max_size=SIZE,
        rpn_anchor_generator=anchors,
        rpn_pre_nms_top_n_train=600, rpn_post_nms_top_n_train=300,
        rpn_pre_nms_top_n_test=300, rpn_post_nms_top_n_test=PROPOSALS,
        rpn_batch_size_per_image=128,
        box_roi_pool=MultiScaleRoIAlign(levels, 7, 2),
        box_head=TwoMLPHead(c * 7 * 7, 128), box_predictor=FastRCNNPredictor(128, len(CATEGORIES) + 1),
        box_batch_size_per_image=64, box_score_thresh=score_thresh, box_detections_per_img=100,
        mask_roi_pool=MultiScaleRoIAlign(levels, 14, 2),
        mask_head=MaskRCNNHeads(c, (32, 32), 1), mask_predictor=MaskRCNNPredictor(32, 32, len(CATEGORIES) + 1),
    )


class WithProposals(nn.Module):
    """MaskRCNN's eval forward on one [1, 3, H, W] image, also returning the RPN proposals and their
    objectness (RegionProposalNetwork.forward computes both but returns only the boxes)."""

    def __init__(self, model):
        super().__init__()
        self.m = model

    def forward(self, x):
        m = self.m
        original = [(x.shape[2], x.shape[3])]
        images, _ = m.transform([x[0]])
        features = m.backbone(images.tensors)
        feats = list(features.values())
        objectness, deltas = m.rpn.head(feats)
        anchors = m.rpn.anchor_generator(images, feats)
        per_level = [o[0].shape[0] * o[0].shape[1] * o[0].shape[2] for o in objectness]
        objectness, deltas = concat_box_prediction_layers(objectness, deltas)
        proposals = m.rpn.box_coder.decode(deltas.detach(), anchors).view(1, -1, 4)
        boxes, scores = m.rpn.filter_proposals(proposals, objectness, images.image_sizes, per_level)
        dets, _ = m.roi_heads(features, boxes, images.image_sizes)
        det = m.transform.postprocess(dets, images.image_sizes, original)[0]
        props = resize_boxes(boxes[0], images.image_sizes[0], original[0])
        return det['boxes'], det['labels'], det['scores'], det['masks'], props, scores[0]


OUTPUT_NAMES = ['boxes', 'labels', 'scores', 'masks', 'proposals', 'proposal_scores']


def augment(img, boxes, masks, rng):
    """A random dihedral transform of one image (H = W), its x1y1x2y2 boxes and masks."""
    s = img.shape[0]
    if rng.random() < 0.5:
        img, masks = img[:, ::-1], masks[:, :, ::-1]
        boxes = np.stack([s - boxes[:, 2], boxes[:, 1], s - boxes[:, 0], boxes[:, 3]], 1)
    if rng.random() < 0.5:
        img, masks = img[::-1], masks[:, ::-1]
        boxes = np.stack([boxes[:, 0], s - boxes[:, 3], boxes[:, 2], s - boxes[:, 1]], 1)
    if rng.random() < 0.5:
        img, masks = img.transpose(1, 0, 2), masks.transpose(0, 2, 1)
        boxes = boxes[:, [1, 0, 3, 2]]
    return img, boxes, masks


def sample(images, coco, i, rng):
    b, l, masks, _ = instances(coco['images'][i])
    img, b, masks = augment(images[i], b, masks, rng)
    x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float().div(255)
    target = {'boxes': torch.from_numpy(np.ascontiguousarray(b, dtype=np.float32)).reshape(-1, 4),
              'labels': torch.from_numpy(l), 'masks': torch.from_numpy(np.ascontiguousarray(masks))}
    return x, target


@torch.no_grad()
def evaluate(model, coco, images, batch=10):
    """COCO mask and box AP of the graph's own outputs (score ≥ SCORE_THRESH, ≤ 100 per image), masks at 0.5."""
    model.eval()
    dets_box, dets_mask, gts_box, gts_mask = [], [], [], []
    for i in range(0, len(images), batch):
        xs = [torch.from_numpy(im).permute(2, 0, 1).float().div(255) for im in images[i:i + batch]]
        for out, im in zip(model(xs), coco['images'][i:i + batch]):
            s, l = out['scores'].numpy(), out['labels'].numpy()
            dets_box.append((s, l, out['boxes'].numpy()))
            dets_mask.append((s, l, (out['masks'][:, 0] >= 0.5).numpy()))
            gb, gl, gm, _ = instances(im)
            gts_box.append((gl, gb))
            gts_mask.append((gl, gm))
    return mask_ap(dets_mask, gts_mask), box_ap(dets_box, gts_box)


def train(args):
    setup(args.seed, args.threads)
    coco = load_coco(args.data)
    images = load_images(coco, SIZE)
    mon = load_coco(args.monitor)
    mon_images = load_images(mon, SIZE)
    model = build()
    log(f'train {len(images)} images from {args.data}; {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters')
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    rng = np.random.default_rng(args.seed)
    budget = args.minutes * 60
    t0, step, best, next_eval = time.time(), 0, -1.0, args.eval_every * 60
    run = {}
    while True:
        model.train()
        perm = rng.permutation(len(images))
        for bi in range(len(images) // args.batch):
            frac = min(1.0, (time.time() - t0) / budget)
            lr = args.lr * min(1.0, (step + 1) / 100) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
            for g in opt.param_groups:
                g['lr'] = lr
            batch = [sample(images, coco, i, rng) for i in perm[bi * args.batch:(bi + 1) * args.batch]]
            losses = model([b[0] for b in batch], [b[1] for b in batch])
            loss = sum(losses.values())
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, 10.0)
            opt.step()
            step += 1
            for k, v in losses.items():
                run[k] = run.get(k, 0.0) + v.item()
            if step % 25 == 0:
                log(f'step {step} ({step * args.batch / len(images):.2f} epochs) lr {lr:.2e} ' + ' '.join(f'{k[5:]} {v / 25:.3f}' for k, v in run.items()))
                run = {}
            elapsed = time.time() - t0
            if elapsed > next_eval or elapsed > budget:
                next_eval += args.eval_every * 60
                m_ap, b_ap = evaluate(model, mon, mon_images)
                model.train()
                log(f'{elapsed / 60:.1f} min, step {step}: monitor mask AP {m_ap["AP"]:.4f} (AP50 {m_ap["AP50"]:.4f}) box AP {b_ap["AP"]:.4f}')
                torch.save(model.state_dict(), args.ckpt + '.last')
                if m_ap['AP'] > best:
                    best = m_ap['AP']
                    torch.save(model.state_dict(), args.ckpt)
            if elapsed > budget:
                log(f'done: {step} steps, {step * args.batch} images seen, best monitor mask AP {best:.4f}, wall {elapsed / 60:.1f} min')
                return


def load_model(ckpt):
    model = build()
    model.load_state_dict(torch.load(ckpt, map_location='cpu'))
    return model.eval()


def cmd_eval(args):
    setup(args.seed, args.threads)
    coco = load_coco(args.val)
    m_ap, b_ap = evaluate(load_model(args.ckpt), coco, load_images(coco, SIZE))
    log(f'{len(coco["images"])} held-out images from {args.val}: mask AP@[.50:.95] {m_ap["AP"]:.4f} AP50 {m_ap["AP50"]:.4f} '
        f'AP75 {m_ap["AP75"]:.4f}; box AP@[.50:.95] {b_ap["AP"]:.4f} AP50 {b_ap["AP50"]:.4f}; mask AP per class {[round(a, 4) for a in m_ap["perClass"]]}')


def cmd_export(args):
    setup(args.seed, args.threads)
    model = WithProposals(load_model(args.ckpt)).eval()
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, 'model.onnx')
    torch.onnx.export(model, torch.zeros(1, 3, SIZE, SIZE), path, opset_version=17, input_names=['image'],
                      output_names=OUTPUT_NAMES, do_constant_folding=True)
    patched = fix_roi_align(path)
    log('exported', path, check_onnx(path), f'{os.path.getsize(path) / 1e6:.2f} MB, RoiAlign nodes patched: {patched}')
    golden = os.path.join(OUT_DIR, 'golden')
    cases = []
    for name, arr, im in golden_images(args.val, OUT_DIR):
        with torch.no_grad():
            boxes, labels, scores, masks, props, prop_scores = model(torch.from_numpy(arr).permute(2, 0, 1)[None].float().div(255))
        cases.append({
            'image': name,
            'boxes': [[float(v) for v in b] for b in boxes],
            'labels': [int(v) for v in labels],
            'scores': [float(v) for v in scores],
            'masksShape': list(masks.shape),
            'masksRle': [mask_rle((m[0] >= 0.5).numpy()) for m in masks],
            'proposals': [[float(v) for v in b] for b in props],
            'proposalScores': [float(v) for v in prop_scores],
        })
    save_json(os.path.join(golden, 'expected.json'), {
        'model': 'shapes-maskrcnn', 'source': f'{args.val} (seed 32), first 4 images', 'outputNames': OUTPUT_NAMES,
        'labels': 'torchvision: 0 is background, 1 circle, 2 square, 3 triangle',
        'note': 'raw graph outputs; masksRle: COCO uncompressed column-major RLE of each mask ≥ 0.5 at input size',
        'cases': cases,
    })
    log('golden written to', golden)


def main():
    ap = training_parser(__doc__, ckpt='/tmp/shapes-maskrcnn.pt', minutes=35, eval_every=7, batch=4, lr=1.5e-3)
    args = ap.parse_args()
    {'train': train, 'eval': cmd_eval, 'export': cmd_export}[args.command](args)


if __name__ == '__main__':
    main()
