"""shapes-yolo: a small anchor-free single-stage detector whose ONNX output is the YOLOv8 layout.

Architecture: a 4×4 patchify stem and strided residual conv stages (BN + ReLU) to strides 8/16/32, a top-down +
bottom-up FPN-lite, and a decoupled head per level (box: distances to the four edges; class: 3 logits).
Targets: YOLOv8's task-aligned assigner (top-10 anchors per object by score^0.5 × IoU^6, anchor inside the
box) with IoU-aware soft class targets; losses: BCE for classes, GIoU + L1 for boxes. No DFL.
Graph output `output0` [1, 4 + 3, N]: cx, cy, w, h in input pixels, then sigmoid class scores; no NMS.

    node bin/sightline.mjs shapes --seed 101 --count 4000 --out /tmp/shapes-101
    node bin/sightline.mjs shapes --seed 33 --count 100 --out /tmp/shapes-monitor
    node bin/sightline.mjs shapes --seed 32 --count 500 --out /tmp/shapes-heldout
    /usr/bin/python3 models/train/detector.py train --data /tmp/shapes-101 --minutes 25
    /usr/bin/python3 models/train/detector.py eval --val /tmp/shapes-heldout     # COCO box AP on the held-out set
    /usr/bin/python3 models/train/detector.py export --val /tmp/shapes-heldout   # model.onnx + golden/
"""
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import check_onnx, golden_images, log, save_json, setup, training_parser  # noqa: E402
from dataset import CATEGORIES, image_path, instances, load_coco, load_images  # noqa: E402
from metrics import box_ap, decode_yolov8  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, 'models', 'shapes-yolo')
SIZE = 256
STRIDES = (8, 16, 32)
NC = len(CATEGORIES)
MAX_OBJECTS = 8


def conv(c_in, c_out, k=3, s=1):
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, s, k // 2, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(conv(c, c), conv(c, c))

    def forward(self, x):
        return x + self.body(x)


class Head(nn.Module):
    def __init__(self, c, hidden):
        super().__init__()
        self.box = nn.Sequential(conv(c, hidden), nn.Conv2d(hidden, 4, 1))
        self.cls = nn.Sequential(conv(c, hidden), nn.Conv2d(hidden, NC, 1))
        nn.init.constant_(self.cls[-1].bias, -4.6)  # start every anchor at p = 0.01, as YOLOv8 and RetinaNet do


class Detector(nn.Module):
    def __init__(self, w=(24, 32, 64, 96), neck=32, hidden=32):
        super().__init__()
        # A 4×4 patchify stem: the flat-coloured shapes need no fine texture, and it is 4× cheaper than two convs.
        self.stem = nn.Sequential(nn.Conv2d(3, w[0], 4, 4, bias=False), nn.BatchNorm2d(w[0]), nn.ReLU(inplace=True))  # /4
        self.c3 = nn.Sequential(conv(w[0], w[1], 3, 2), Residual(w[1]))  # /8
        self.c4 = nn.Sequential(conv(w[1], w[2], 3, 2), Residual(w[2]))  # /16
        self.c5 = nn.Sequential(conv(w[2], w[3], 3, 2), Residual(w[3]))  # /32
        self.l3, self.l4, self.l5 = conv(w[1], neck, 1), conv(w[2], neck, 1), conv(w[3], neck, 1)
        self.td4, self.td3 = conv(neck, neck), conv(neck, neck)
        self.down3, self.down4 = conv(neck, neck, 3, 2), conv(neck, neck, 3, 2)
        self.bu4, self.bu5 = conv(neck, neck), conv(neck, neck)
        self.heads = nn.ModuleList(Head(neck, hidden) for _ in STRIDES)
        self.register_buffer('anchors', anchor_points(), persistent=False)
        self.register_buffer('strides', torch.cat([torch.full(((SIZE // s) ** 2,), float(s)) for s in STRIDES]), persistent=False)

    def raw(self, x):
        """→ distances [B, A, 4] (in strides, before softplus) and class logits [B, A, C], levels concatenated."""
        c3 = self.c3(self.stem(x))
        c4 = self.c4(c3)
        c5 = self.c5(c4)
        p5 = self.l5(c5)
        p4 = self.td4(self.l4(c4) + F.interpolate(p5, scale_factor=2.0, mode='nearest'))
        p3 = self.td3(self.l3(c3) + F.interpolate(p4, scale_factor=2.0, mode='nearest'))
        n4 = self.bu4(p4 + self.down3(p3))
        n5 = self.bu5(p5 + self.down4(n4))
        dist, logits = [], []
        for head, p in zip(self.heads, (p3, n4, n5)):
            dist.append(head.box(p).flatten(2))
            logits.append(head.cls(p).flatten(2))
        return torch.cat(dist, 2).transpose(1, 2), torch.cat(logits, 2).transpose(1, 2)

    def boxes(self, dist):
        """Distances (left, top, right, bottom) in strides → x1, y1, x2, y2 in input pixels."""
        d = F.softplus(dist) * self.strides[None, :, None]
        return torch.cat([self.anchors - d[..., :2], self.anchors + d[..., 2:]], -1)

    def forward(self, x):
        """The exported graph: [B, 4 + C, A] with cx, cy, w, h and sigmoid scores (YOLOv8's layout)."""
        dist, logits = self.raw(x)
        b = self.boxes(dist)
        xywh = torch.cat([(b[..., :2] + b[..., 2:]) / 2, b[..., 2:] - b[..., :2]], -1)
        return torch.cat([xywh, logits.sigmoid()], -1).transpose(1, 2)


def anchor_points():
    pts = []
    for s in STRIDES:
        n = SIZE // s
        ys, xs = torch.meshgrid(torch.arange(n), torch.arange(n), indexing='ij')
        pts.append(torch.stack([xs, ys], -1).reshape(-1, 2).float().add(0.5).mul(s))
    return torch.cat(pts)


def pairwise_iou(a, b):
    """a [B, G, 4] × b [B, A, 4] (x1y1x2y2) → [B, G, A]."""
    lt = torch.maximum(a[:, :, None, :2], b[:, None, :, :2])
    rb = torch.minimum(a[:, :, None, 2:], b[:, None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[..., 2:] - a[..., :2]).clamp(min=0).prod(-1)
    area_b = (b[..., 2:] - b[..., :2]).clamp(min=0).prod(-1)
    return inter / (area_a[:, :, None] + area_b[:, None, :] - inter + 1e-9)


def giou(a, b):
    """Element-wise GIoU of [K, 4] boxes."""
    lt, rb = torch.maximum(a[:, :2], b[:, :2]), torch.minimum(a[:, 2:], b[:, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    union = (a[:, 2:] - a[:, :2]).prod(-1) + (b[:, 2:] - b[:, :2]).prod(-1) - inter
    iou = inter / (union + 1e-9)
    hull = (torch.maximum(a[:, 2:], b[:, 2:]) - torch.minimum(a[:, :2], b[:, :2])).prod(-1)
    return iou - (hull - union) / (hull + 1e-9)


@torch.no_grad()
def assign(scores, boxes, anchors, gt_boxes, gt_labels, topk=10, alpha=0.5, beta=6.0):
    """YOLOv8's task-aligned assigner. scores [B,A,C] (sigmoid), boxes [B,A,4], gt_boxes [B,G,4], gt_labels
    [B,G] (1..C, 0 = padding) → target boxes [B,A,4], soft class targets [B,A,C], foreground [B,A]."""
    B, A, C = scores.shape
    G = gt_boxes.shape[1]
    valid = gt_labels > 0
    edges = torch.cat([anchors[None, None] - gt_boxes[:, :, None, :2], gt_boxes[:, :, None, 2:] - anchors[None, None]], -1)
    inside = (edges.amin(-1) > 1e-6) & valid[:, :, None]
    ious = pairwise_iou(gt_boxes, boxes) * inside
    cls = (gt_labels - 1).clamp(min=0)
    s = scores.gather(2, cls[:, None, :].expand(B, A, G)).transpose(1, 2)
    align = s.pow(alpha) * ious.pow(beta) * inside
    # Early on every alignment is ~0; a tiny centre prior makes top-k pick central anchors instead of arbitrary ones.
    centre = (gt_boxes[:, :, None, :2] + gt_boxes[:, :, None, 2:]) / 2
    prior = 1e-12 / (1 + (anchors[None, None] - centre).pow(2).sum(-1))
    top = (align + prior * inside).topk(min(topk, A), dim=-1).indices
    cand = torch.zeros_like(inside).scatter_(-1, top, True) & inside
    multi = cand.sum(1, keepdim=True) > 1
    best = F.one_hot(ious.argmax(1), G).transpose(1, 2).bool()
    cand = torch.where(multi, best & inside, cand)
    fg = cand.any(1)
    idx = cand.float().argmax(1)
    t_boxes = gt_boxes.gather(1, idx[..., None].expand(B, A, 4))
    t_labels = cls.gather(1, idx)
    align = align * cand
    norm = (align * (ious * cand).amax(-1, keepdim=True) / (align.amax(-1, keepdim=True) + 1e-9)).amax(1)
    t_scores = F.one_hot(t_labels, C).float() * (norm * fg)[..., None]
    return t_boxes, t_scores, fg


def loss_fn(model, x, gt_boxes, gt_labels):
    dist, logits = model.raw(x)
    boxes = model.boxes(dist)
    t_boxes, t_scores, fg = assign(logits.sigmoid().detach(), boxes.detach(), model.anchors, gt_boxes, gt_labels)
    norm = t_scores.sum().clamp(min=1)
    l_cls = F.binary_cross_entropy_with_logits(logits, t_scores, reduction='sum') / norm
    if fg.any():
        w = t_scores.sum(-1)[fg]
        l_iou = ((1 - giou(boxes[fg], t_boxes[fg])) * w).sum() / norm
        st = model.strides[None, :, None].expand_as(boxes)[fg]
        l_l1 = ((boxes[fg] - t_boxes[fg]).abs() / st).sum(-1).mul(w).sum() / norm
    else:
        l_iou = l_l1 = logits.sum() * 0
    return l_cls + 5.0 * l_iou + 1.0 * l_l1, (l_cls.item(), l_iou.item(), l_l1.item())


def targets(coco):
    boxes = np.zeros((len(coco['images']), MAX_OBJECTS, 4), np.float32)
    labels = np.zeros((len(coco['images']), MAX_OBJECTS), np.int64)
    for i, im in enumerate(coco['images']):
        b, l, _, _ = instances(im)
        boxes[i, :len(b)], labels[i, :len(l)] = b[:MAX_OBJECTS], l[:MAX_OBJECTS]
    return torch.from_numpy(boxes), torch.from_numpy(labels)


def augment(x, boxes, labels, gen):
    """The same random flip / transpose for the whole batch (the dihedral group keeps shapes and boxes exact)."""
    valid = (labels > 0)[..., None]
    if torch.rand(1, generator=gen) < 0.5:
        x = x.flip(3)
        boxes = torch.stack([SIZE - boxes[..., 2], boxes[..., 1], SIZE - boxes[..., 0], boxes[..., 3]], -1)
    if torch.rand(1, generator=gen) < 0.5:
        x = x.flip(2)
        boxes = torch.stack([boxes[..., 0], SIZE - boxes[..., 3], boxes[..., 2], SIZE - boxes[..., 1]], -1)
    if torch.rand(1, generator=gen) < 0.5:
        x = x.transpose(2, 3)
        boxes = boxes[..., [1, 0, 3, 2]]
    return x, boxes * valid, labels


def to_input(images_uint8):
    return torch.from_numpy(images_uint8).permute(0, 3, 1, 2).float().div(255)


@torch.no_grad()
def predict(model, images, batch=50):
    model.eval()
    outs = []
    for i in range(0, len(images), batch):
        outs.append(model(to_input(images[i:i + batch])).numpy())
    return np.concatenate(outs)


def evaluate(model, coco, images, score=0.001, iou=0.5):
    """COCO box AP after the app's decode and class-aware NMS."""
    raw = predict(model, images)
    dets, gts = [], []
    for out, im in zip(raw, coco['images']):
        b, s, c = decode_yolov8(out[None], score, iou)
        dets.append((s, c + 1, b))
        gb, gl, _, _ = instances(im)
        gts.append((gl, gb))
    return box_ap(dets, gts)


def train(args):
    setup(args.seed, args.threads)
    coco = load_coco(args.data)
    images = load_images(coco, SIZE)
    gt_boxes, gt_labels = targets(coco)
    val = load_coco(args.monitor)
    val_images = load_images(val, SIZE)
    log(f'train {len(images)} images from {args.data}, monitor on {len(val_images)} from {args.monitor}')
    model = Detector()
    log(f'parameters: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M')
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    budget = args.minutes * 60
    gen = torch.Generator().manual_seed(args.seed)
    t0, step, best, epoch, next_eval = time.time(), 0, -1.0, 0, args.eval_every * 60
    run = np.zeros(4)
    while True:
        # The schedule follows wall time, not steps: the cores are shared, so steps per minute vary.
        model.train()
        perm = torch.randperm(len(images), generator=gen)
        for bi in range(len(images) // args.batch):
            frac = (time.time() - t0) / budget
            lr = args.lr * min(1.0, (step + 1) / 100) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))
            for g in opt.param_groups:
                g['lr'] = lr
            idx = perm[bi * args.batch:(bi + 1) * args.batch]
            x, b, l = augment(to_input(images[idx.numpy()]), gt_boxes[idx], gt_labels[idx], gen)
            loss, parts = loss_fn(model, x, b, l)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            step += 1
            run += [loss.item(), *parts]
            if step % 25 == 0:
                log(f'epoch {epoch} step {step} ({step * args.batch / len(images):.2f} epochs) loss {run[0] / 25:.3f} cls {run[1] / 25:.3f} giou {run[2] / 25:.3f} l1 {run[3] / 25:.3f} lr {lr:.2e}')
                run[:] = 0
            elapsed = time.time() - t0
            if elapsed > next_eval or elapsed > budget:
                next_eval += args.eval_every * 60
                ap = evaluate(model, val, val_images)
                model.train()
                log(f'{elapsed / 60:.1f} min, step {step}: monitor AP {ap["AP"]:.4f} AP50 {ap["AP50"]:.4f} AP75 {ap["AP75"]:.4f}')
                torch.save(model.state_dict(), args.ckpt + '.last')
                if ap['AP'] > best:
                    best = ap['AP']
                    torch.save(model.state_dict(), args.ckpt)
            if elapsed > budget:
                log(f'done: {step} steps, {step * args.batch} images seen, best monitor AP {best:.4f}, wall {elapsed / 60:.1f} min')
                return
        epoch += 1


def load_model(ckpt):
    model = Detector()
    model.load_state_dict(torch.load(ckpt, map_location='cpu'))
    return model.eval()


def cmd_eval(args):
    setup(args.seed, args.threads)
    coco = load_coco(args.val)
    images = load_images(coco, SIZE)
    ap = evaluate(load_model(args.ckpt), coco, images)
    log(f'{len(images)} held-out images from {args.val}: box AP@[.50:.95] {ap["AP"]:.4f} AP50 {ap["AP50"]:.4f} AP75 {ap["AP75"]:.4f} per class {[round(a, 4) for a in ap["perClass"]]}')
    return ap


def cmd_export(args):
    setup(args.seed, args.threads)
    model = load_model(args.ckpt)
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, 'model.onnx')
    torch.onnx.export(model, torch.zeros(1, 3, SIZE, SIZE), path, opset_version=17, input_names=['images'],
                      output_names=['output0'], do_constant_folding=True)
    log('exported', path, check_onnx(path), f'{os.path.getsize(path) / 1e6:.2f} MB')
    # Golden: 4 held-out images, PyTorch's raw output summarised as the decoded detections the app must find.
    golden = os.path.join(OUT_DIR, 'golden')
    cases = []
    for name, arr, im in golden_images(args.val, OUT_DIR):
        with torch.no_grad():
            out = model(to_input(arr[None])).numpy()
        b, s, c = decode_yolov8(out, 0.25, 0.5)
        gb, gl, _, _ = instances(im)
        cases.append({
            'image': name,
            'outputShape': list(out.shape),
            # A strided sample of the raw output pins the graph itself, not only what survives NMS.
            'rawSample': {'stride': 97, 'values': [[float(v) for v in row[::97]] for row in out[0]]},
            'detections': [{'box': [float(v) for v in bb], 'score': float(ss), 'classIndex': int(cc), 'label': CATEGORIES[cc]} for bb, ss, cc in zip(b, s, c)],
            'groundTruth': [{'box': [float(v) for v in bb], 'label': CATEGORIES[ll - 1]} for bb, ll in zip(gb, gl)],
        })
    save_json(os.path.join(golden, 'expected.json'), {
        'model': 'shapes-yolo', 'source': f'{args.val} (seed 32), first 4 images',
        'thresholds': {'score': 0.25, 'iou': 0.5}, 'nms': 'class-aware',
        'note': 'boxes are x1, y1, x2, y2 in image pixels; detections after the app\'s yolov8 decode and NMS',
        'cases': cases,
    }, indent=1)
    log('golden written to', golden)


def main():
    ap = training_parser(__doc__, ckpt='/tmp/shapes-yolo.pt', minutes=25, eval_every=5, batch=16, lr=3e-3)
    args = ap.parse_args()
    {'train': train, 'eval': cmd_eval, 'export': cmd_export}[args.command](args)


if __name__ == '__main__':
    main()
