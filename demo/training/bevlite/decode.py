"""Numpy reference of the deploy CenterHead post-processing (reference §6; postprocess_cpu.cpp).

Per task t (labels 5*t + local class):
  1. score = clamp(sigmoid(logit), 1e-4, 1 - 1e-4)
  2. top-K: 500 best cells per class, merged, overall 500 best, sorted by score (desc)
  3. drop score < threshold (deploy: kitti 0.5, v2x 0.1)
  4. x = (row + reg0) * 0.8 + pc_min_x, y = (col + reg1) * 0.8 + pc_min_y, z = height,
     l, w, h = exp(dim), yaw = atan2(rot0, rot1), vx, vy = vel
  5. NMS: task0 circle (suppress if dx^2 + dy^2 <= 4.0), task1 rotated BEV IoU >= 0.2 with l, w scaled
     by nms_scale {1, 1, 1, 2.5, 4.0}; keep <= 83 per task
  6. keep centres inside post_center_range (inclusive)
Boxes are returned with the gravity-centre z (deploy writes z - h/2 only in --dump-pred files).
"""
from __future__ import annotations

import math

import numpy as np

TOPK, POST_MAX, CIRCLE_R2, IOU_THR = 500, 83, 4.0, 0.2
TASK1_NMS_SCALE = [1.0, 1.0, 1.0, 2.5, 4.0]


def _corners(b: np.ndarray, scale: float) -> np.ndarray:
    x, y, l, w, yaw = b[0], b[1], b[3] * scale, b[4] * scale, b[6]
    c, s = math.cos(yaw), math.sin(yaw)
    loc = np.array([[l, w], [-l, w], [-l, -w], [l, -w]]) / 2
    return np.stack([x + c * loc[:, 0] - s * loc[:, 1], y + s * loc[:, 0] + c * loc[:, 1]], 1)


def _clip(poly: list, a: np.ndarray, b: np.ndarray) -> list:
    out = []
    def side(p):
        return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])
    for i in range(len(poly)):
        p, q = poly[i], poly[(i + 1) % len(poly)]
        sp, sq = side(p), side(q)
        if sp >= 0:
            out.append(p)
        if (sp >= 0) != (sq >= 0):
            t = sp / (sp - sq)
            out.append(p + t * (q - p))
    return out


def _area(poly) -> float:
    if len(poly) < 3:
        return 0.0
    p = np.array(poly)
    return 0.5 * abs(float(np.dot(p[:, 0], np.roll(p[:, 1], -1)) - np.dot(p[:, 1], np.roll(p[:, 0], -1))))


def rotated_iou(a: np.ndarray, sa: float, b: np.ndarray, sb: float) -> float:
    pa, pb = _corners(a, sa), _corners(b, sb)
    inter = [p for p in pa]
    for i in range(4):
        inter = _clip(inter, pb[i], pb[(i + 1) % 4])
        if not inter:
            return 0.0
    ia = _area(inter)
    return ia / max(_area(pa) + _area(pb) - ia, 1e-9)


def decode_task(out: dict, t: int, threshold: float, pc_range, post_center_range, nms: bool = True) -> np.ndarray:
    """Boxes [K, 10]: x, y, z, l, w, h, yaw, vx, vy, score ; plus labels via the returned column 10."""
    hm = out[f"task{t}_heatmap"][0].astype(np.float64)
    C, H, W = hm.shape
    score = np.clip(1.0 / (1.0 + np.exp(-hm)), 1e-4, 1 - 1e-4).reshape(C, -1)
    cand = []
    for c in range(C):
        k = min(TOPK, score.shape[1])
        top = np.argpartition(-score[c], k - 1)[:k]
        cand += [(score[c, i], c, i) for i in top]
    cand.sort(key=lambda e: (-e[0], e[1], e[2]))
    cand = [e for e in cand[:TOPK] if e[0] >= threshold]
    reg, hgt, dim, rot, vel = (out[f"task{t}_{n}"][0] for n in ("reg", "height", "dim", "rot", "vel"))
    boxes = []
    for s, c, i in cand:
        r, q = divmod(i, W)
        x = (r + reg[0, r, q]) * 0.8 + pc_range[0]
        y = (q + reg[1, r, q]) * 0.8 + pc_range[1]
        boxes.append([x, y, hgt[0, r, q], *np.exp(dim[:, r, q]), math.atan2(rot[0, r, q], rot[1, r, q]),
                      vel[0, r, q], vel[1, r, q], s, c + 5 * t])
    b = np.array(boxes, np.float64).reshape(-1, 11)
    if nms and len(b):
        keep = []
        for i in range(len(b)):
            sup = False
            for j in keep:
                if t == 0:
                    sup = (b[i, 0] - b[j, 0]) ** 2 + (b[i, 1] - b[j, 1]) ** 2 <= CIRCLE_R2
                else:
                    si, sj = TASK1_NMS_SCALE[int(b[i, 10]) - 5], TASK1_NMS_SCALE[int(b[j, 10]) - 5]
                    sup = rotated_iou(b[i], si, b[j], sj) >= IOU_THR
                if sup:
                    break
            if not sup:
                keep.append(i)
                if len(keep) >= POST_MAX:
                    break
        b = b[keep]
    pr = post_center_range
    ok = (b[:, 0] >= pr[0]) & (b[:, 0] <= pr[3]) & (b[:, 1] >= pr[1]) & (b[:, 1] <= pr[4]) & (b[:, 2] >= pr[2]) & (b[:, 2] <= pr[5])
    return b[ok]


def decode(out: dict, threshold: float, pc_range, post_center_range, nms: bool = True) -> np.ndarray:
    """All boxes of both tasks, sorted by score (desc). Columns: x y z l w h yaw vx vy score label."""
    b = np.concatenate([decode_task(out, t, threshold, pc_range, post_center_range, nms) for t in range(2)])
    return b[np.argsort(-b[:, 9], kind="stable")] if len(b) else b


def match_recall(ref: np.ndarray, ref_labels: np.ndarray, pred: np.ndarray, radius: float = 1.0) -> tuple[int, int]:
    """Greedy same-class matching within `radius` metres (BEV centres). Returns (matched, len(ref))."""
    used = np.zeros(len(pred), bool)
    hit = 0
    for i in range(len(ref)):
        d = np.hypot(pred[:, 0] - ref[i, 0], pred[:, 1] - ref[i, 1]) if len(pred) else np.zeros(0)
        cand = np.flatnonzero((~used) & (pred[:, 10] == ref_labels[i]) & (d <= radius)) if len(pred) else []
        if len(cand):
            used[cand[np.argmin(d[cand])]] = True
            hit += 1
    return hit, len(ref)
