#!/usr/bin/env python3
"""FP32 vs INT8 per-frame box counts with the deploy decode (demo-only check, OpenVINO env).

Python twin of the check bevbuild's native validator makes (reference §8: INT8 per-frame box
counts must equal FP32):

  Pipeline B:  tools/compare_int8.py --config CB --unified-fp32 X.onnx --unified-int8 X.xml --geo-dir GEO --calib-dir CAL
  Pipeline A:  tools/compare_int8.py --config CA --split-dir OD --head-inputs DIR
               (fuser.onnx -> head.onnx vs quantized_fuser.xml -> quantized_head.xml on dumped cam/lidar BEV)

Decode = bevlite.decode with NMS, the preset's deploy score threshold (kitti 0.5, v2x 0.1) unless
--score-threshold. Prints one line per frame and `[compare] equal box counts: k/n frames`; exit 1
when any frame differs.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bevlite.config import load_or_exit  # noqa: E402
from bevlite.decode import decode  # noqa: E402
from bevlite.geometry import read_bins  # noqa: E402
from bevlite.io import die  # noqa: E402

SPLIT_NAMES = {"score": "task0_heatmap", "reg": "task0_reg", "height": "task0_height", "dim": "task0_dim", "rot": "task0_rot",
               "vel": "task0_vel", "score2": "task1_heatmap", "reg2": "task1_reg", "height2": "task1_height", "dim2": "task1_dim",
               "rot2": "task1_rot", "vel2": "task1_vel"}


def infer(c, feed: dict) -> dict:
    return {k.get_any_name(): v for k, v in c.create_infer_request().infer(feed).items()}


def main() -> None:
    ap = argparse.ArgumentParser(description="FP32 vs INT8 box-count comparison.")
    ap.add_argument("--config", required=True)
    ap.add_argument("--unified-fp32")
    ap.add_argument("--unified-int8")
    ap.add_argument("--geo-dir")
    ap.add_argument("--calib-dir")
    ap.add_argument("--split-dir")
    ap.add_argument("--head-inputs")
    ap.add_argument("--score-threshold", type=float, default=None)
    args = ap.parse_args()
    import openvino as ov
    cfg = load_or_exit(args.config)
    thr = cfg["demo"]["deploy_score_threshold"] if args.score_threshold is None else args.score_threshold
    pcr, post = cfg["point_cloud_range"], cfg["model"]["heads"]["object"]["bbox_coder"]["post_center_range"]
    core = ov.Core()
    f32cfg = {"INFERENCE_PRECISION_HINT": "f32"}
    if args.unified_fp32:
        if not (args.unified_int8 and args.geo_dir and args.calib_dir):
            die("Pipeline B needs --unified-fp32 --unified-int8 --geo-dir --calib-dir")
        a, b = core.compile_model(args.unified_fp32, "CPU", f32cfg), core.compile_model(args.unified_int8, "CPU", f32cfg)
        geo = read_bins(args.geo_dir)
        src = args.calib_dir

        def run(fid):
            feed = {"img": np.load(f"{src}/{fid}_img.npy"), "indices": geo[0], "intervals": geo[1],
                    "voxel_features": np.load(f"{src}/{fid}_voxel_features.npy"), "voxel_indices": np.load(f"{src}/{fid}_voxel_indices.npy")}
            return infer(a, feed), infer(b, feed)
    elif args.split_dir and args.head_inputs:
        d = args.split_dir
        fa, ha = (core.compile_model(os.path.join(d, n), "CPU", f32cfg) for n in ("fuser.onnx", "head.onnx"))
        fb, hb = (core.compile_model(os.path.join(d, n), "CPU", f32cfg) for n in ("quantized_fuser.xml", "quantized_head.xml"))
        src = args.head_inputs

        def run(fid):
            feed = {"cam_bev": np.load(f"{src}/{fid}_cam_bev.npy"), "lidar_bev": np.load(f"{src}/{fid}_lidar_bev.npy")}
            outs = []
            for f, h in ((fa, ha), (fb, hb)):
                o = infer(h, {"middle": infer(f, feed)["middle"]})
                outs.append({SPLIT_NAMES[k]: v for k, v in o.items()})
            return outs
    else:
        die("give --unified-fp32/--unified-int8/--geo-dir/--calib-dir (B) or --split-dir/--head-inputs (A)")
    with open(os.path.join(src, "manifest.txt")) as f:
        fids = [l.strip() for l in f if l.strip()]
    same, lo = 0, 1.0
    for fid in fids:
        o32, o8 = run(fid)
        n32, n8 = len(decode(o32, thr, pcr, post)), len(decode(o8, thr, pcr, post))
        same += n32 == n8
        print(f"  {fid}: FP32 {n32} boxes, INT8 {n8} boxes{'' if n32 == n8 else '   <-- differs'}")
    print(f"[compare] equal box counts: {same}/{len(fids)} frames (threshold {thr})")
    sys.exit(0 if same == len(fids) else 1)


if __name__ == "__main__":
    main()
