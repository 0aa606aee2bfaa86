"""Evaluation for the shapes models: the COCO detection protocol (box and mask AP@[.50:.95]), mIoU, and the
YOLOv8 decode + NMS exactly as the app runs it (common/inference/decoders/yolo.ts, common/geometry/boxes.ts).

The COCO protocol, as pycocotools' COCOeval implements it for iouType bbox/segm, area range "all":
per image and category, detections sorted by score (stable) and cut to maxDets = 100; for each IoU threshold
.50:.05:.95 each detection in turn takes the best still-unmatched ground truth with IoU ≥ the threshold;
per category all detections are pooled and sorted by score, precision is made monotone from the right and read
at 101 recall points (0 past the last recall reached); AP is the mean over thresholds, recall points and the
categories that have ground truth. No crowd regions exist in generated data, so none are handled.
"""
import numpy as np

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


def box_iou(a, b):
    """IoU of x1,y1,x2,y2 boxes a [N,4] × b [M,4] → [N,M] (COCO's bbox IoU: no +1 on widths)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    iw = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = iw * ih
    area_a = (a[:, 2] - a[:, 0]).clip(0) * (a[:, 3] - a[:, 1]).clip(0)
    area_b = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def mask_iou(a, b):
    """IoU of binary masks a [N,H,W] × b [M,H,W] → [N,M]."""
    a = np.asarray(a, dtype=bool).reshape(len(a), -1).astype(np.float32)
    b = np.asarray(b, dtype=bool).reshape(len(b), -1).astype(np.float32)
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def _match(ious, thresholds):
    """Greedy COCO matching of score-sorted detections (rows) to ground truths (cols) → matched [T, D] bool."""
    d, g = ious.shape
    matched = np.zeros((len(thresholds), d), dtype=bool)
    for ti, t in enumerate(thresholds):
        taken = np.zeros(g, dtype=bool)
        for di in range(d):
            best, m = min(t, 1 - 1e-10), -1
            for gi in range(g):
                if taken[gi] or ious[di, gi] < best:
                    continue
                best, m = ious[di, gi], gi
            if m >= 0:
                taken[m] = True
                matched[ti, di] = True
    return matched


def coco_ap(detections, ground_truths, iou_fn, num_classes, max_dets=100):
    """detections: per image (scores [n], labels [n], items [n,...]); ground_truths: per image (labels [m], items
    [m,...]); items are boxes or masks, compared by iou_fn. Labels 1..num_classes.
    → {'AP': AP@[.50:.95], 'AP50', 'AP75', 'perClass': [...]}"""
    per_class = {c: {'scores': [], 'matched': [], 'npos': 0} for c in range(1, num_classes + 1)}
    for (scores, labels, items), (gt_labels, gt_items) in zip(detections, ground_truths):
        scores, labels, gt_labels = np.asarray(scores), np.asarray(labels), np.asarray(gt_labels)
        for c in range(1, num_classes + 1):
            gi = np.nonzero(gt_labels == c)[0]
            di = np.nonzero(labels == c)[0]
            di = di[np.argsort(-scores[di], kind='mergesort')][:max_dets]
            acc = per_class[c]
            acc['npos'] += len(gi)
            if len(di) == 0:
                continue
            if len(gi):
                matched = _match(iou_fn(items[di], gt_items[gi]), IOU_THRESHOLDS)
            else:
                matched = np.zeros((len(IOU_THRESHOLDS), len(di)), dtype=bool)
            acc['scores'].append(scores[di])
            acc['matched'].append(matched)
    precisions = []  # [K, T, R]
    for c in range(1, num_classes + 1):
        acc = per_class[c]
        if acc['npos'] == 0:
            continue
        q = np.zeros((len(IOU_THRESHOLDS), len(RECALL_POINTS)))
        if acc['scores']:
            scores = np.concatenate(acc['scores'])
            order = np.argsort(-scores, kind='mergesort')
            matched = np.concatenate(acc['matched'], axis=1)[:, order]
            for ti in range(len(IOU_THRESHOLDS)):
                tp = np.cumsum(matched[ti])
                fp = np.cumsum(~matched[ti])
                recall = tp / acc['npos']
                precision = tp / np.maximum(tp + fp, np.spacing(1))
                precision = np.maximum.accumulate(precision[::-1])[::-1]
                idx = np.searchsorted(recall, RECALL_POINTS, side='left')
                ok = idx < len(precision)
                q[ti, ok] = precision[idx[ok]]
        precisions.append(q)
    p = np.array(precisions)
    return {
        'AP': float(p.mean()),
        'AP50': float(p[:, 0].mean()),
        'AP75': float(p[:, 5].mean()),
        'perClass': [float(x) for x in p.mean(axis=(1, 2))],
    }


def box_ap(detections, ground_truths, num_classes=3):
    return coco_ap(detections, ground_truths, box_iou, num_classes)


def mask_ap(detections, ground_truths, num_classes=3):
    return coco_ap(detections, ground_truths, mask_iou, num_classes)


class ConfusionMatrix:
    """Pixel counts over a whole set; mIoU = mean over classes of TP / (TP + FP + FN), background included."""

    def __init__(self, num_classes):
        self.n = num_classes
        self.m = np.zeros((num_classes, num_classes), dtype=np.int64)

    def add(self, pred, gt):
        idx = np.asarray(gt, dtype=np.int64).ravel() * self.n + np.asarray(pred, dtype=np.int64).ravel()
        self.m += np.bincount(idx, minlength=self.n * self.n).reshape(self.n, self.n)

    def iou(self):
        tp = np.diag(self.m).astype(np.float64)
        denom = self.m.sum(0) + self.m.sum(1) - tp
        return np.where(denom > 0, tp / np.maximum(denom, 1), np.nan)

    def miou(self):
        return float(np.nanmean(self.iou()))


def nms(boxes, scores, iou_threshold, classes=None, max_detections=None):
    """Greedy NMS as common/geometry/boxes.ts: by falling score (ties in input order), a box is removed when a
    kept box of the same class overlaps it with IoU > threshold. → kept indices, best first."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    n = len(boxes)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind='mergesort')
    areas = (boxes[:, 2] - boxes[:, 0]).clip(0) * (boxes[:, 3] - boxes[:, 1]).clip(0)
    removed = np.zeros(n, dtype=bool)
    kept = []
    for oi, i in enumerate(order):
        if max_detections is not None and len(kept) >= max_detections:
            break
        if removed[i]:
            continue
        kept.append(int(i))
        rest = order[oi + 1:]
        rest = rest[~removed[rest]]
        if classes is not None:
            rest = rest[np.asarray(classes)[rest] == classes[i]]
        if len(rest) == 0:
            continue
        iw = np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0])
        ih = np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1])
        inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
        removed[rest[inter > iou_threshold * (areas[i] + areas[rest] - inter)]] = True
    return np.array(kept, dtype=np.int64)


def decode_yolov8(output, score_threshold, iou_threshold, max_detections=300):
    """[1, 4+C, N] (cx, cy, w, h, class probabilities) → boxes x1y1x2y2 [K,4], scores [K], class indices [K] (0-based),
    as the app's yolov8 decoder: best class per candidate, score ≥ threshold, class-aware NMS."""
    t = np.asarray(output, dtype=np.float32)[0]
    probs = t[4:]
    cls = probs.argmax(0)
    score = probs[cls, np.arange(t.shape[1])]
    keep = np.nonzero(score >= score_threshold)[0]
    cx, cy, w, h = t[0, keep], t[1, keep], t[2, keep], t[3, keep]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    k = nms(boxes, score[keep], iou_threshold, classes=cls[keep], max_detections=max_detections)
    return boxes[k], score[keep][k], cls[keep][k]
