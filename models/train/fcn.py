"""shapes-fcn: a fully convolutional segmenter with learned (transposed-convolution) upsampling.

Encoder: strided 3×3 convs to 1/32 (BN + ReLU), a dilated conv at the coarsest scale for context. Decoder:
five 4×4 stride-2 transposed convolutions back to full resolution, the first four each joined by the skip
connection from the encoder at that scale (FCN's skips, U-Net-like but narrowing as resolution grows).
Training adds two auxiliary class heads (1/32, 1/8) that the export leaves out.
Graph: `input` [1, 3, 256, 256] (RGB / 255) → `logits` [1, 4, 256, 256] (0 background, 1 circle, 2 square,
3 triangle).

    /usr/bin/python3 models/train/fcn.py train --data /tmp/shapes-101 --minutes 15
    /usr/bin/python3 models/train/fcn.py eval --val /tmp/shapes-heldout     # mIoU on the held-out set
    /usr/bin/python3 models/train/fcn.py export --val /tmp/shapes-heldout   # model.onnx + golden/
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
from dataset import CATEGORIES, image_path, label_path, load_coco, load_images, load_labels  # noqa: E402
from layouts import mask_rle  # noqa: E402
from metrics import ConfusionMatrix  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, 'models', 'shapes-fcn')
SIZE = 256
CLASSES = ['background'] + CATEGORIES


def conv(c_in, c_out, s=1, d=1):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, s, d, dilation=d, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


def up(c_in, c_out):
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class FCN(nn.Module):
    def __init__(self, enc=(16, 32, 48, 96, 128), dec=(64, 32, 16, 8)):
        super().__init__()
        self.e1 = conv(3, enc[0], 2)  # /2
        self.e2 = conv(enc[0], enc[1], 2)  # /4
        self.e3 = nn.Sequential(conv(enc[1], enc[2], 2), conv(enc[2], enc[2]))  # /8
        self.e4 = nn.Sequential(conv(enc[2], enc[3], 2), conv(enc[3], enc[3]))  # /16
        # /32 with a dilated conv: telling a big square's middle from a circle's needs its whole outline.
        self.e5 = nn.Sequential(conv(enc[3], enc[4], 2), conv(enc[4], enc[4], d=2), conv(enc[4], enc[4]))
        # Narrower as resolution grows: full-resolution layers dominate the cost on a CPU.
        skips = (enc[3], enc[2], enc[1], enc[0])
        self.ups = nn.ModuleList(up(c_in, c_out) for c_in, c_out in zip((enc[4],) + dec[:-1], dec))
        self.skips = nn.ModuleList(nn.Conv2d(c_s, c_out, 1) for c_s, c_out in zip(skips, dec))
        self.fuse = nn.ModuleList(conv(c, c) for c in dec)
        self.head = nn.ConvTranspose2d(dec[-1], len(CLASSES), 4, 2, 1)
        # Training only (not exported): class scores at 1/32 and 1/8. Without them the net learns "shape or
        # background" from the skips in a few hundred steps and then sits for thousands at one class
        # mixture for every shape; asking the deep features for the class directly breaks that plateau.
        self.aux = nn.ModuleList([nn.Conv2d(enc[4], len(CLASSES), 1), nn.Conv2d(dec[1], len(CLASSES), 1)])

    def forward(self, x, aux=False):
        x1 = self.e1(x)
        x2 = self.e2(x1)
        x3 = self.e3(x2)
        x4 = self.e4(x3)
        y = self.e5(x4)
        side = [self.aux[0](y)] if aux else []
        for i, (up_, skip, fuse, feat) in enumerate(zip(self.ups, self.skips, self.fuse, (x4, x3, x2, x1))):
            y = fuse(up_(y) + skip(feat))
            if aux and i == 1:
                side.append(self.aux[1](y))
        logits = self.head(y)
        return (logits, side) if aux else logits


def aux_loss(side, labels):
    """Soft cross-entropy of each coarse score map against the class proportions in its cells."""
    onehot = F.one_hot(labels, len(CLASSES)).permute(0, 3, 1, 2).float()
    total = 0
    for s in side:
        target = F.adaptive_avg_pool2d(onehot, s.shape[-2:])
        total = total - (target * F.log_softmax(s, 1)).sum(1).mean()
    return total


def to_input(images_uint8):
    return torch.from_numpy(images_uint8).permute(0, 3, 1, 2).float().div(255)


def load_label_maps(coco):
    return np.stack([load_labels(label_path(coco, im), SIZE) for im in coco['images']])


def augment(x, y, gen):
    """A random element of the dihedral group, the same for the batch (labels stay exact)."""
    if torch.rand(1, generator=gen) < 0.5:
        x, y = x.flip(3), y.flip(2)
    if torch.rand(1, generator=gen) < 0.5:
        x, y = x.flip(2), y.flip(1)
    if torch.rand(1, generator=gen) < 0.5:
        x, y = x.transpose(2, 3), y.transpose(1, 2)
    return x, y


@torch.no_grad()
def evaluate(model, images, labels, batch=25):
    model.eval()
    cm = ConfusionMatrix(len(CLASSES))
    for i in range(0, len(images), batch):
        pred = model(to_input(images[i:i + batch])).argmax(1).numpy()
        cm.add(pred, labels[i:i + batch])
    return cm


def train(args):
    setup(args.seed, args.threads)
    coco = load_coco(args.data)
    images = load_images(coco, SIZE)
    labels = torch.from_numpy(load_label_maps(coco).astype(np.int64))
    mon = load_coco(args.monitor)
    mon_images, mon_labels = load_images(mon, SIZE), load_label_maps(mon)
    model = FCN()
    if args.init_from:
        # Continue from an earlier run's weights (a fresh optimiser and a fresh cosine schedule over --minutes).
        model.load_state_dict(torch.load(args.init_from, map_location='cpu'))
        log(f'initialised from {args.init_from}')
    log(f'train {len(images)} images from {args.data}; {sum(p.numel() for p in model.parameters()) / 1e6:.3f} M parameters')
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(args.seed)
    budget = args.minutes * 60
    t0, step, best, next_eval, run = time.time(), 0, -1.0, args.eval_every * 60, 0.0
    while True:
        model.train()
        perm = torch.randperm(len(images), generator=gen)
        for bi in range(len(images) // args.batch):
            frac = min(1.0, (time.time() - t0) / budget)
            lr = args.lr * min(1.0, (step + 1) / 50) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
            for g in opt.param_groups:
                g['lr'] = lr
            idx = perm[bi * args.batch:(bi + 1) * args.batch]
            x, y = augment(to_input(images[idx.numpy()]), labels[idx], gen)
            logits, side = model(x, aux=True)
            loss = F.cross_entropy(logits, y) + 0.4 * aux_loss(side, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            run += loss.item()
            if step % 25 == 0:
                log(f'step {step} ({step * args.batch / len(images):.2f} epochs) loss {run / 25:.4f} lr {lr:.2e}')
                run = 0.0
            elapsed = time.time() - t0
            if elapsed > next_eval or elapsed > budget:
                next_eval += args.eval_every * 60
                miou = evaluate(model, mon_images, mon_labels).miou()
                model.train()
                log(f'{elapsed / 60:.1f} min, step {step}: monitor mIoU {miou:.4f}')
                if miou > best:
                    best = miou
                    torch.save(model.state_dict(), args.ckpt)
            if elapsed > budget:
                log(f'done: {step} steps, {step * args.batch} images seen, best monitor mIoU {best:.4f}, wall {elapsed / 60:.1f} min')
                return


def load_model(ckpt):
    model = FCN()
    model.load_state_dict(torch.load(ckpt, map_location='cpu'))
    return model.eval()


def cmd_eval(args):
    setup(args.seed, args.threads)
    coco = load_coco(args.val)
    cm = evaluate(load_model(args.ckpt), load_images(coco, SIZE), load_label_maps(coco))
    log(f'{len(coco["images"])} held-out images from {args.val}: mIoU {cm.miou():.4f}, per class '
        + ', '.join(f'{c} {v:.4f}' for c, v in zip(CLASSES, cm.iou())))


def cmd_export(args):
    setup(args.seed, args.threads)
    model = load_model(args.ckpt)
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, 'model.onnx')
    torch.onnx.export(model, torch.zeros(1, 3, SIZE, SIZE), path, opset_version=17, input_names=['input'],
                      output_names=['logits'], do_constant_folding=True)
    log('exported', path, check_onnx(path), f'{os.path.getsize(path) / 1e6:.2f} MB')
    golden = os.path.join(OUT_DIR, 'golden')
    coco = load_coco(args.val)  # for the ground-truth label maps
    cases = []
    for name, arr, im in golden_images(args.val, OUT_DIR):
        with torch.no_grad():
            logits = model(to_input(arr[None]))[0]
        pred = logits.argmax(0).numpy()
        gt = load_labels(label_path(coco, im))
        s = 16
        cases.append({
            'image': name,
            'outputShape': [1] + list(logits.shape),
            'labelRle': {c: mask_rle(pred == i) for i, c in enumerate(CLASSES)},
            'labelCounts': [int((pred == i).sum()) for i in range(len(CLASSES))],
            'logitsSample': {'stride': s, 'shape': list(logits[:, ::s, ::s].shape), 'values': [float(v) for v in logits[:, ::s, ::s].flatten()]},
            'pixelAccuracyVsGroundTruth': float((pred == gt).mean()),
        })
    save_json(os.path.join(golden, 'expected.json'), {
        'model': 'shapes-fcn', 'source': f'{args.val} (seed 32), first 4 images', 'classes': CLASSES,
        'note': 'labelRle: per class, COCO uncompressed column-major RLE of argmax(logits) == class',
        'cases': cases,
    })
    log('golden written to', golden)


def main():
    ap = training_parser(__doc__, ckpt='/tmp/shapes-fcn.pt', minutes=15, eval_every=4, batch=16, lr=3e-3)
    ap.add_argument('--init-from', default='', help='state dict of an earlier run to continue from')
    args = ap.parse_args()
    {'train': train, 'eval': cmd_eval, 'export': cmd_export}[args.command](args)


if __name__ == '__main__':
    main()
