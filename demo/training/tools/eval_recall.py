#!/usr/bin/env python3
"""Val recall of a checkpoint with the deploy post-processing (demo-only tool).

    python tools/eval_recall.py CONFIG CKPT [--split val] [--score-threshold T] [--geometry-dir DIR] [--out FILE]

Runs the numpy model (bevlite.model) on every frame of the split, decodes with bevlite.decode
(deploy threshold of the preset unless --score-threshold), and matches labels: a label is recalled
by a prediction of the same class whose BEV centre is within 1 m. Prints per-frame counts, recall,
precision and the score margin (lowest matched score / highest unmatched score).
With --geometry-dir the frozen geometry (as in the unified ONNX) replaces per-frame calibration.
With --out the numbers are also written as JSON (`recall`, `precision`, `recalled`, `labels`,
`predictions`, `frames`, `split`, `score_threshold`, `lowest_matched_score`): the metric file a
sweep's `select` node ranks checkpoints by.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bevlite import model as M  # noqa: E402
from bevlite.ckpt import load_checkpoint  # noqa: E402
from bevlite.config import load_or_exit  # noqa: E402
from bevlite.data import build_dataset, load_sample  # noqa: E402
from bevlite.decode import decode, match_recall  # noqa: E402
from bevlite.geometry import read_bins  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description="Val recall with the deploy CenterHead decode.")
    ap.add_argument("config")
    ap.add_argument("checkpoint")
    ap.add_argument("--split", choices=["train", "val"], default="val")
    ap.add_argument("--score-threshold", type=float, default=None)
    ap.add_argument("--geometry-dir", default=None)
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--out", default=None, help="also write the metrics as JSON to this file")
    args = ap.parse_args()
    cfg = load_or_exit(args.config)
    spec = M.Spec(cfg)
    p, _ = load_checkpoint(args.checkpoint, spec)
    thr = spec.deploy_score_threshold if args.score_threshold is None else args.score_threshold
    geo = read_bins(args.geometry_dir) if args.geometry_dir else None
    hit = tot = npred = frames = 0
    lo_match, hi_other = 1.0, 0.0
    for info in build_dataset(cfg, args.split):
        s = load_sample(cfg, info)
        out = M.full_forward(p, spec, s, geo)
        b = decode(out, thr, spec.pc_range, spec.post_center_range)
        h, n = match_recall(s["gt_boxes"], s["gt_labels"], b)
        hit, tot, npred, frames = hit + h, tot + n, npred + len(b), frames + 1
        for bb in b:
            d = np.hypot(s["gt_boxes"][:, 0] - bb[0], s["gt_boxes"][:, 1] - bb[1])
            ok = len(d) and d.min() <= 1.0 and s["gt_labels"][d.argmin()] == bb[10]
            lo_match, hi_other = (min(lo_match, bb[9]), hi_other) if ok else (lo_match, max(hi_other, bb[9]))
        if not args.quiet:
            print(f"  {s['fid']}: {len(b)} boxes, {n} labels, {h} recalled")
    print(f"[eval] split {args.split}, threshold {thr}: recall {hit}/{tot} = {hit / max(tot, 1):.4f}, "
          f"precision {hit}/{npred} = {hit / max(npred, 1):.4f}, lowest matched score {lo_match:.3f}")
    if args.out:
        metrics = {"recall": round(hit / max(tot, 1), 6), "precision": round(hit / max(npred, 1), 6),
                   "recalled": hit, "labels": tot, "predictions": npred, "frames": frames, "split": args.split,
                   "score_threshold": float(thr), "lowest_matched_score": round(float(lo_match), 6)}
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(json.dumps(metrics, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
