"""shapes-yolo re-exported at another input size, for the camera-photo benchmark (bench/inference.ts).

The detector is fully convolutional; only its anchor points and strides depend on the input size. The trained
checkpoint is not kept, so the weights come from the bundled graph itself (models/shapes-yolo/model.onnx, where the
export folded BatchNorm into the convolutions): the script builds `detector.Detector` at the new size with plain
biased convolutions in place of conv + BN, loads the ONNX weights in execution order (shapes checked), checks that at
256 px it reproduces the golden raw outputs PyTorch gave at export (models/shapes-yolo/golden/expected.json), and
exports at the new size (opset 17, input `images`, output `output0` [1, 7, N]).

    apt-get install python3-torch python3-onnx      # Debian's PyTorch 1.13 and onnx 1.12
    /usr/bin/python3 models/train/detector_at_size.py --size 640 --out bench/models/shapes-yolo-640/model.onnx
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from PIL import Image
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detector  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUNDLED = os.path.join(ROOT, 'models', 'shapes-yolo')


def onnx_convs(path):
    """(weight, bias) of every Conv node of the graph, in graph order (the order PyTorch traced them in)."""
    g = onnx.load(path).graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    return [(inits[n.input[1]], inits[n.input[2]]) for n in g.node if n.op_type == 'Conv']


def folded(size):
    """detector.Detector at `size` px, each conv + BN replaced by a biased conv (what the export folded it to)."""
    detector.SIZE = size  # anchor_points() and the strides buffer read the module's SIZE
    model = detector.Detector()
    for m in model.modules():
        if isinstance(m, nn.Sequential):
            for i, sub in enumerate(m):
                if isinstance(sub, nn.BatchNorm2d):
                    m[i] = nn.Identity()
    for m in model.modules():
        if isinstance(m, nn.Conv2d) and m.bias is None:
            m.bias = nn.Parameter(torch.zeros(m.out_channels))
    return model.eval()


def load_weights(model, convs, size):
    """Assigns the ONNX convs to the model's Conv2d modules in the order a forward pass runs them."""
    order = []
    hooks = [m.register_forward_hook(lambda m, i, o: order.append(m)) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in hooks:
        h.remove()
    if len(order) != len(convs):
        raise SystemExit(f'{len(order)} convolutions in the model, {len(convs)} in the graph')
    with torch.no_grad():
        for m, (w, b) in zip(order, convs):
            if tuple(m.weight.shape) != w.shape or tuple(m.bias.shape) != b.shape:
                raise SystemExit(f'shape mismatch: {tuple(m.weight.shape)} vs {w.shape}')
            m.weight.copy_(torch.from_numpy(w))
            m.bias.copy_(torch.from_numpy(b))
    return model


def check_golden(convs):
    """At 256 px the rebuilt model must give the raw outputs the trained model gave at export."""
    model = load_weights(folded(256), convs, 256)
    golden = json.load(open(os.path.join(BUNDLED, 'golden', 'expected.json')))
    worst = 0.0
    for case in golden['cases']:
        arr = np.array(Image.open(os.path.join(BUNDLED, 'golden', case['image'])).convert('RGB'))
        with torch.no_grad():
            out = model(detector.to_input(arr[None])).numpy()[0]
        stride = case['rawSample']['stride']
        want = np.array(case['rawSample']['values'])
        got = out[:, ::stride]
        worst = max(worst, float(np.abs(got - want).max()))
    print(f'256 px check against the golden raw outputs: max |difference| {worst:.2e}')
    if worst > 1e-3:
        raise SystemExit('the rebuilt model does not reproduce the bundled graph')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--size', type=int, default=640)
    ap.add_argument('--out', default=os.path.join(ROOT, 'bench', 'models', 'shapes-yolo-640', 'model.onnx'))
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    convs = onnx_convs(os.path.join(BUNDLED, 'model.onnx'))
    check_golden(convs)
    model = load_weights(folded(args.size), convs, args.size)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.onnx.export(model, torch.zeros(1, 3, args.size, args.size), args.out, opset_version=17, input_names=['images'],
                      output_names=['output0'], do_constant_folding=True)
    onnx.checker.check_model(onnx.load(args.out))
    n = sum((args.size // s) ** 2 for s in detector.STRIDES)
    print(f'exported {args.out} ({os.path.getsize(args.out) / 1e6:.2f} MB): images [1, 3, {args.size}, {args.size}] -> output0 [1, 7, {n}]')


if __name__ == '__main__':
    main()
