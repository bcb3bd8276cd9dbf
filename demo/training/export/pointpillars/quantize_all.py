#!/usr/bin/env python3
"""Quantize the four Pipeline-A stages (mirrors T/export/pointpillars/quantize_all.py).

    python export/pointpillars/quantize_all.py --config CFG --ckpt CKPT --onnx-dir DIR --out-dir DIR [--num-samples 300] [--python PY]

Creates --out-dir in the caller's cwd; PFE input = <onnx-dir>/lidar_pfe_v7000.onnx **if that file
exists**, else <onnx-dir>/lidar_pfe.onnx (the real, existence-based choice); runs the four
quantize scripts (`--config --ckpt --onnx --out --num-samples`, --split not forwarded -> val) with
the children's cwd forced to T. Continues after failures, exits 1 if any failed; prints
`  [OK|FAIL] <tag> <path>  (<bytes> bytes)` (size of the .xml).
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
T = os.path.dirname(os.path.dirname(HERE))


def main() -> None:
    ap = argparse.ArgumentParser(description="Quantize all Pipeline-A stages.")
    ap.add_argument("--config", default="configs/V2X-I/det/centerhead/lssfpn/camera+pointpillar/resnet34/default.yaml")
    ap.add_argument("--ckpt", default="work_dirs/V2X-I/pp/latest.pth")
    ap.add_argument("--onnx-dir", default="export/onnx/pointpillars")
    ap.add_argument("--out-dir", default="export/onnx/pointpillars")
    ap.add_argument("--num-samples", type=int, default=300)
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    v7000 = os.path.join(args.onnx_dir, "lidar_pfe_v7000.onnx")
    # existence-based choice, checked in the caller's cwd (as the real script does)
    pfe = v7000 if os.path.isfile(v7000) else os.path.join(args.onnx_dir, "lidar_pfe.onnx")
    print(f"PFE input: {pfe}")
    jobs = [("camera", "quantize_camera_backbone.py", os.path.join(args.onnx_dir, "camera.backbone.onnx"), "quantized_camera.xml"),
            ("lidar_pfe", "quantize_lidar_pfe.py", pfe, "quantized_lidar_pfe.xml"),
            ("fuser", "quantize_fuser.py", os.path.join(args.onnx_dir, "fuser.onnx"), "quantized_fuser.xml"),
            ("head", "quantize_head.py", os.path.join(args.onnx_dir, "head.onnx"), "quantized_head.xml")]
    results = []
    for tag, script, onnx_path, name in jobs:
        out = os.path.join(args.out_dir, name)
        print(f"=== {tag}: {script} {onnx_path} -> {out}", flush=True)
        rc = subprocess.call([args.python, os.path.join(HERE, script), "--config", args.config, "--ckpt", args.ckpt,
                              "--onnx", onnx_path, "--out", out, "--num-samples", str(args.num_samples)], cwd=T)
        path = out if os.path.isabs(out) else os.path.join(T, out)
        results.append((rc == 0 and os.path.isfile(path), tag, path))
    print("summary:")
    for ok, tag, path in results:
        size = os.path.getsize(path) if os.path.isfile(path) else 0
        print(f"  [{'OK' if ok else 'FAIL'}] {tag} {path}  ({size} bytes)")
    sys.exit(0 if all(r[0] for r in results) else 1)


if __name__ == "__main__":
    main()
