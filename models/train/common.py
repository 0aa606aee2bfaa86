"""Shared helpers for the training scripts in models/train (run with Debian's /usr/bin/python3: PyTorch 1.13)."""
import json
import os
import random
import sys
import time

import numpy as np
import torch

_T0 = time.time()


def setup(seed=0, threads=2):
    """Two CPU cores are shared by everyone: more threads only thrash."""
    torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def log(*parts):
    print(f"[{time.time() - _T0:7.1f}s]", *parts, flush=True)
    sys.stdout.flush()


def save_json(path, obj, indent=None):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=indent)
        f.write("\n")


def check_onnx(path):
    """Structural check of an exported graph; returns its input and output names for the log."""
    import onnx

    model = onnx.load(path)
    onnx.checker.check_model(model)
    return [i.name for i in model.graph.input], [o.name for o in model.graph.output]


def training_parser(doc, ckpt, minutes, eval_every, batch, lr):
    """The command line the shapes training scripts share: `train | eval | export` and their options."""
    import argparse

    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('command', choices=['train', 'eval', 'export'])
    ap.add_argument('--data', default='/tmp/shapes-101', help='training images (sightline shapes --seed 101)')
    ap.add_argument('--monitor', default='/tmp/shapes-monitor', help='a small generated set (not the held-out one) to pick the checkpoint')
    ap.add_argument('--val', default='/tmp/shapes-heldout', help='the held-out set the metric is measured on')
    ap.add_argument('--ckpt', default=ckpt)
    ap.add_argument('--minutes', type=float, default=minutes, help='wall-clock training budget (the cosine schedule follows it)')
    ap.add_argument('--eval-every', type=float, default=eval_every, help='minutes between monitor evaluations')
    ap.add_argument('--batch', type=int, default=batch)
    ap.add_argument('--lr', type=float, default=lr)
    ap.add_argument('--seed', type=int, default=0)
    # On the shared 2-core machine one thread trains ~5x faster than two: OpenMP's second thread spins on
    # barriers while the scheduler runs other people's work.
    ap.add_argument('--threads', type=int, default=1)
    return ap


def golden_images(val_dir, out_dir, count=4):
    """The first `count` held-out images, copied into out_dir/golden as heldout-K.png: yields (file name, RGB uint8
    array, the COCO image record) for the caller to run its model on."""
    from PIL import Image

    from dataset import image_path, load_coco

    coco = load_coco(val_dir)
    golden = os.path.join(out_dir, 'golden')
    os.makedirs(golden, exist_ok=True)
    for k, im in enumerate(coco['images'][:count]):
        arr = np.array(Image.open(image_path(coco, im)).convert('RGB'))
        name = f'heldout-{k}.png'
        Image.fromarray(arr).save(os.path.join(golden, name))
        yield name, arr, im
