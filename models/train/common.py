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
