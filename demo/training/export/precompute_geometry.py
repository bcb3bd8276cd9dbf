#!/usr/bin/env python3
"""Precompute the frozen BEVPool geometry (mirrors T/export/precompute_geometry.py).

    python export/precompute_geometry.py CONFIG CKPT (--from-dataset | --data-path P) [--split val] [--sample-idx 0] -o DIR

Writes DIR/indices.bin = [uint32 count][count x uint32] (every frustum point B*N*D*fH*fW, sorted by
BEV rank), DIR/intervals.bin = [uint32 count][count x int32 x3 (start, end, bev_rank)] (rank -1
sentinel intervals kept) and DIR/geometry.pth (pickle of numpy arrays indices, interval_starts,
interval_lengths, ranks_bev). The geometry depends only on the chosen sample's calibration.

Deviation (deliberate): the real script silently writes *dummy* geometry when neither
--from-dataset nor an existing --data-path is given; the demo refuses (exit 2). --data-path takes
an .npz with `lidar2cam` [4,4] and `cam2img` [3,3] (the real one a torch-saved data dict).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bevlite import model as M  # noqa: E402
from bevlite.ckpt import load_checkpoint  # noqa: E402
from bevlite.config import load_or_exit  # noqa: E402
from bevlite.data import build_dataset, load_sample  # noqa: E402
from bevlite.geometry import write_bins  # noqa: E402
from bevlite.io import die, save_pkl  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description="Precompute BEVPoolv2 geometry bins.")
    ap.add_argument("config")
    ap.add_argument("checkpoint")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--from-dataset", action="store_true")
    src.add_argument("--data-path", default=None)
    ap.add_argument("--split", choices=["train", "val"], default="val")
    ap.add_argument("--sample-idx", type=int, default=0)
    ap.add_argument("--output-dir", "-o", default="./export/geometry")
    args = ap.parse_args()
    if not args.from_dataset and args.data_path is None:
        die("pass --from-dataset or --data-path (the demo never writes dummy geometry)")
    cfg = load_or_exit(args.config)
    spec = M.Spec(cfg)
    load_checkpoint(args.checkpoint, spec)
    if args.from_dataset:
        infos = build_dataset(cfg, args.split)
        if not 0 <= args.sample_idx < len(infos):
            die(f"--sample-idx {args.sample_idx} out of range (split {args.split} has {len(infos)} samples)")
        s = load_sample(cfg, infos[args.sample_idx])
        lidar2cam, cam2img, origin = s["lidar2cam"], s["cam2img"], f"{args.split}[{args.sample_idx}] frame {s['fid']}"
    else:
        if not os.path.isfile(args.data_path):
            die(f"--data-path {args.data_path} does not exist (the demo never writes dummy geometry)")
        d = np.load(args.data_path)
        lidar2cam, cam2img, origin = d["lidar2cam"], d["cam2img"], args.data_path
    ranks = M.frustum_ranks(spec, lidar2cam, cam2img)
    indices, intervals = M.bevpool_tables(ranks)
    write_bins(args.output_dir, indices, intervals)
    save_pkl(os.path.join(args.output_dir, "geometry.pth"), {
        "indices": indices, "interval_starts": intervals[:, 0].copy(),
        "interval_lengths": (intervals[:, 1] - intervals[:, 0]).copy(), "ranks_bev": intervals[:, 2].copy()})
    valid = int((ranks >= 0).sum())
    print(f"geometry from {origin}: {len(indices)} points ({valid} inside the BEV grid), "
          f"{len(intervals)} intervals -> {args.output_dir}")


if __name__ == "__main__":
    main()
