#!/usr/bin/env python3
"""Export the fuser (mirrors T/export/pointpillars/export-fuser.py).

    python export/pointpillars/export-fuser.py --config CFG --ckpt CKPT -o fuser.onnx [--opset 13]

I/O: cam_bev [1,Cc,S,S], lidar_bev [1,Cl,S,S] -> middle [1,hidden,S,S] (ConvFuser + decoder
collapsed into one kxk conv + ReLU in the demo model). No dataset is read.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _calib_data as C  # noqa: E402
from bevlite import onnx_export as X  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    C.common_args(ap, "export/onnx/pointpillars/fuser.onnx")
    args = ap.parse_args()
    cfg, spec, p = C.build_pt_model(args.config, args.ckpt)
    S, hid = spec.S, p["fuser.weight"].shape[0]
    g = X.G()
    X.fuser(g, p, spec, "cam_bev", "lidar_bev", out="middle")
    m = g.model([X.tensor("cam_bev", [1, spec.Cc, S, S]), X.tensor("lidar_bev", [1, spec.Cl, S, S])],
                [X.tensor("middle", [1, hid, S, S])], args.opset, "fuser + decoder")
    C.save(m, args.output)


if __name__ == "__main__":
    main()
