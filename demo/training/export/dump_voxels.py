#!/usr/bin/env python3
"""Dump calibration inputs for quantize_unified.py (mirrors T/export/dump_voxels.py).

    python export/dump_voxels.py CONFIG CKPT -o DIR [--num-frames 400] [--split val]

Per frame (fid = positional index `00000`, `00001`, ...): `<fid>_voxel_features.npy` (f32 [N,4],
mean-reduced), `<fid>_voxel_indices.npy` (i32 [N,4] = batch, z, y, x), `<fid>_img.npy` (f32
[1,3,H,W], normalised), plus `manifest.txt` (fids, one per line). Takes the first --num-frames
samples of the split in order; warns and dumps what exists when there are fewer; exits 1 on 0
frames. Stale *.npy from earlier runs are not deleted (manifest.txt decides), as in the real tool.
Deviation: the real default -o is a developer's absolute path; the demo defaults to
export/calib_voxels.
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
from bevlite.io import die  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description="Dump voxel/image calibration frames.")
    ap.add_argument("config")
    ap.add_argument("checkpoint")
    ap.add_argument("--output-dir", "-o", default="export/calib_voxels")
    ap.add_argument("--num-frames", type=int, default=400)
    ap.add_argument("--split", choices=["train", "val", "test"], default="val")
    args = ap.parse_args()
    if args.num_frames < 1:
        die("--num-frames must be >= 1")
    cfg = load_or_exit(args.config)
    spec = M.Spec(cfg)
    if spec.lidar_type != "sparse":
        die(f"{args.config} is not a Pipeline-B (secfpn camera+lidar) config")
    load_checkpoint(args.checkpoint, spec)
    infos = build_dataset(cfg, args.split)
    n = min(args.num_frames, len(infos))
    if n == 0:
        die(f"split {args.split} has no samples", code=1)
    if n < args.num_frames:
        print(f"WARNING: split {args.split} has only {len(infos)} samples; dumping {n} of the requested {args.num_frames}")
    os.makedirs(args.output_dir, exist_ok=True)
    fids = []
    for i in range(n):
        s = load_sample(cfg, infos[i])
        vf, vi = M.voxelize_sparse(spec, s["points"])
        fid = f"{i:05d}"
        np.save(os.path.join(args.output_dir, f"{fid}_voxel_features.npy"), vf)
        np.save(os.path.join(args.output_dir, f"{fid}_voxel_indices.npy"), vi)
        np.save(os.path.join(args.output_dir, f"{fid}_img.npy"), s["img"])
        fids.append(fid)
        print(f"  [{i + 1}/{n}] {fid} (frame {s['fid']}): {len(vf)} voxels")
    with open(os.path.join(args.output_dir, "manifest.txt"), "w") as f:
        f.write("\n".join(fids) + "\n")
    print(f"dumped {n} frames -> {args.output_dir}")


if __name__ == "__main__":
    main()
