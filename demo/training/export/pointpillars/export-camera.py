#!/usr/bin/env python3
"""Export the camera stage (mirrors T/export/pointpillars/export-camera.py).

    python export/pointpillars/export-camera.py --config CFG --ckpt CKPT -o camera.backbone.onnx [--opset 13]

I/O: img [1,3,H,W] -> camera_feature [1,Cc,fH,fW], camera_depth_weights [1,D,fH,fW] (softmaxed).
No dataset is read. Deviation: camera_feature is plain NCHW (the real one is NHWC memory
reinterpreted as NCHW for the deploy bev_pool); no onnxsim pass (the graph is already minimal).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _calib_data as C  # noqa: E402
from bevlite import onnx_export as X  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    C.common_args(ap, "export/onnx/pointpillars/camera.backbone.onnx")
    args = ap.parse_args()
    cfg, spec, p = C.build_pt_model(args.config, args.ckpt)
    g = X.G()
    f, d = X.camera(g, p, spec, "img")
    g.nodes.append(X.helper.make_node("Identity", [f], ["camera_feature"], name="cam/out_feature"))
    g.nodes.append(X.helper.make_node("Identity", [d], ["camera_depth_weights"], name="cam/out_depth"))
    H, W = spec.image_size
    m = g.model([X.tensor("img", [1, 3, H, W])], [X.tensor("camera_feature", [1, spec.Cc, spec.fH, spec.fW]),
                X.tensor("camera_depth_weights", [1, spec.D, spec.fH, spec.fW])], args.opset, "camera backbone + depth")
    C.save(m, args.output)


if __name__ == "__main__":
    main()
