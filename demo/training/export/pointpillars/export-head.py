#!/usr/bin/env python3
"""Export the CenterHead (mirrors T/export/pointpillars/export-head.py).

    python export/pointpillars/export-head.py --config CFG --ckpt CKPT -o head.onnx [--opset 13]

I/O: middle [1,hidden,S,S] -> 12 outputs named score, reg, height, dim, rot, vel, score2, reg2,
height2, dim2, rot2, vel2 (the deploy bev_head binds by these names; heatmap = score).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _calib_data as C  # noqa: E402
from bevlite import onnx_export as X  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    C.common_args(ap, "export/onnx/pointpillars/head.onnx")
    args = ap.parse_args()
    cfg, spec, p = C.build_pt_model(args.config, args.ckpt)
    S, hid = spec.S, p["fuser.weight"].shape[0]
    g = X.G()
    X.head(g, p, "middle", X.SPLIT_HEAD_OUTPUTS)
    m = g.model([X.tensor("middle", [1, hid, S, S])], X.head_output_infos(X.SPLIT_HEAD_OUTPUTS, S), args.opset, "CenterHead")
    C.save(m, args.output)


if __name__ == "__main__":
    main()
