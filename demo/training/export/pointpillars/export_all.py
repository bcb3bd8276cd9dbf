#!/usr/bin/env python3
"""Run the four Pipeline-A exports (mirrors T/export/pointpillars/export_all.py).

    python export/pointpillars/export_all.py --config CFG --ckpt CKPT --out-dir DIR [--python PY]

Creates --out-dir in the caller's cwd, then runs export-camera.py, export-lidar.py (dynamic V: no
--fixed-v/--split forwarded), export-fuser.py and export-head.py with `--config --ckpt -o <out-dir>/<file>`
and the children's cwd forced to T (so relative paths resolve against T). A failing child does
not stop the others; prints `[OK |FAIL] <tag> <path>  (<bytes> bytes)` and exits 1 if any failed.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
T = os.path.dirname(HERE).rsplit("/export", 1)[0]
JOBS = [("camera", "export-camera.py", "camera.backbone.onnx"), ("lidar", "export-lidar.py", "lidar_pfe.onnx"),
        ("fuser", "export-fuser.py", "fuser.onnx"), ("head", "export-head.py", "head.onnx")]


def main() -> None:
    ap = argparse.ArgumentParser(description="Export all Pipeline-A ONNX files.")
    ap.add_argument("--config", default="configs/V2X-I/det/centerhead/lssfpn/camera+pointpillar/resnet34/default.yaml")
    ap.add_argument("--ckpt", default="work_dirs/V2X-I/pp/latest.pth")
    ap.add_argument("--out-dir", default="export/onnx/pointpillars")
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    results = []
    for tag, script, name in JOBS:
        out = os.path.join(args.out_dir, name)
        print(f"=== {tag}: {script} -> {out}", flush=True)
        rc = subprocess.call([args.python, os.path.join(HERE, script), "--config", args.config, "--ckpt", args.ckpt, "-o", out], cwd=T)
        path = out if os.path.isabs(out) else os.path.join(T, out)
        ok = rc == 0 and os.path.isfile(path)
        results.append((ok, tag, path))
    print("summary:")
    for ok, tag, path in results:
        size = os.path.getsize(path) if os.path.isfile(path) else 0
        print(f"[{'OK  ' if ok else 'FAIL'}] {tag} {path}  ({size} bytes)")
    sys.exit(0 if all(r[0] for r in results) else 1)


if __name__ == "__main__":
    main()
