#!/usr/bin/env python3
"""Dump the fuser's inputs per frame (demo-only helper for bevbuild's Pipeline-A validator).

    python export/pointpillars/dump_head_inputs.py --config CFG --ckpt CKPT -o DIR [--num-frames N] [--split val]

Per frame (fid = positional `00000`, ...): `<fid>_cam_bev.npy` (f32 [1,Cc,S,S]) and
`<fid>_lidar_bev.npy` (f32 [1,Cl,S,S]), computed with the FP32 camera stage + numpy BEV pool (per
frame calibration) and the FP32 PFE (static V = 7000, as deploy) + numpy scatter; plus
`manifest.txt`. A validator then runs fuser -> head in FP32 and INT8 on the same inputs. There is
no such tool in the real repo (deploy computes these on the GPU inside ./bevfusion).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _calib_data as C  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description="Dump cam_bev / lidar_bev per frame.")
    ap.add_argument("--config", default=C.DEFAULT_CONFIG)
    ap.add_argument("--ckpt", default=C.DEFAULT_CKPT)
    ap.add_argument("-o", "--output-dir", required=True)
    ap.add_argument("--num-frames", type=int, default=400)
    ap.add_argument("--split", choices=["train", "val", "test"], default="val")
    ap.add_argument("--fixed-v", type=int, default=7000)
    args = ap.parse_args()
    if args.num_frames < 1:
        C.die("--num-frames must be >= 1")
    cfg, spec, p = C.build_pt_model(args.config, args.ckpt)
    os.makedirs(args.output_dir, exist_ok=True)
    fids = []
    for i, s in enumerate(C.calib_samples(cfg, args.num_frames, args.split)):
        e = C.pt_extract_all(p, spec, s, args.fixed_v)
        fid = f"{i:05d}"
        np.save(os.path.join(args.output_dir, f"{fid}_cam_bev.npy"), e["cam_bev"])
        np.save(os.path.join(args.output_dir, f"{fid}_lidar_bev.npy"), e["lidar_bev"])
        fids.append(fid)
        print(f"  {fid} (frame {s['fid']}): {int((e['num_voxels'] > 0).sum())} pillars")
    with open(os.path.join(args.output_dir, "manifest.txt"), "w") as f:
        f.write("\n".join(fids) + "\n")
    print(f"dumped {len(fids)} frames -> {args.output_dir}")


if __name__ == "__main__":
    main()
