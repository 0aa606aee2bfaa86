"""Reading the "shapes" dataset written by `sightline shapes` (COCO-style annotations.json + images/ + labels/)."""
import json
import os

import numpy as np
from PIL import Image

CATEGORIES = ["circle", "square", "triangle"]  # category ids 1, 2, 3


def rle_decode(rle):
    """COCO uncompressed RLE (column-major counts, first run is zeros) → uint8 mask [h, w]."""
    h, w = rle["size"]
    flat = np.zeros(h * w, dtype=np.uint8)
    pos, val = 0, 0
    for run in rle["counts"]:
        if val:
            flat[pos:pos + run] = 1
        pos += run
        val ^= 1
    if pos != h * w:
        raise ValueError(f"RLE counts cover {pos} pixels, expected {h}x{w}")
    return flat.reshape(w, h).T.copy()


def load_coco(root):
    """→ {'info', 'categories', 'images': [{id, file_name, width, height, captions, anns: [...]}]} in file order."""
    path = os.path.join(root, "annotations.json")
    with open(path) as f:
        doc = json.load(f)
    by_image = {im["id"]: [] for im in doc["images"]}
    for a in doc["annotations"]:
        by_image[a["image_id"]].append(a)
    images = [dict(im, anns=by_image[im["id"]]) for im in doc["images"]]
    return {"info": doc.get("info", {}), "categories": doc["categories"], "images": images, "root": root}


def image_path(coco, im):
    return os.path.join(coco["root"], "images", im["file_name"])


def label_path(coco, im):
    return os.path.join(coco["root"], "labels", im["file_name"])


def load_rgb(path, size=None, resample=Image.BILINEAR):
    """uint8 [H, W, 3]; resized to size×size when given."""
    img = Image.open(path).convert("RGB")
    if size is not None and img.size != (size, size):
        img = img.resize((size, size), resample)
    return np.asarray(img, dtype=np.uint8)


def load_labels(path, size=None):
    """Semantic map uint8 [H, W] (0 background, 1..3 categories); nearest-neighbour when resized."""
    img = Image.open(path)
    if img.mode not in ("L", "P"):
        img = img.convert("L")  # datasets written before the one-channel fix store the map as grey RGB
    if size is not None and img.size != (size, size):
        img = img.resize((size, size), Image.NEAREST)
    return np.asarray(img, dtype=np.uint8)


def instances(im):
    """Per-image targets: boxes [N, 4] as x1, y1, x2, y2 (float32, exclusive right/bottom edge), labels [N] (1..3),
    masks [N, H, W] uint8 of the visible pixels, colours [N] (names)."""
    anns = im["anns"]
    boxes = np.array([[a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]] for a in anns], dtype=np.float32).reshape(-1, 4)
    labels = np.array([a["category_id"] for a in anns], dtype=np.int64)
    masks = np.stack([rle_decode(a["segmentation"]) for a in anns]) if anns else np.zeros((0, im["height"], im["width"]), np.uint8)
    colours = [a.get("attributes", {}).get("color", "") for a in anns]
    return boxes, labels, masks, colours


def load_images(coco, size=None, resample=Image.BILINEAR, limit=None):
    """All images as one uint8 array [N, H, W, 3] (fits in memory for tens of thousands of small images)."""
    ims = coco["images"][:limit]
    first = load_rgb(image_path(coco, ims[0]), size, resample)
    out = np.empty((len(ims),) + first.shape, dtype=np.uint8)
    out[0] = first
    for i, im in enumerate(ims[1:], 1):
        out[i] = load_rgb(image_path(coco, im), size, resample)
    return out
