#!/usr/bin/env python3
"""Export the PointPillars PFE (mirrors T/export/pointpillars/export-lidar.py).

    python export/pointpillars/export-lidar.py --config CFG --ckpt CKPT -o lidar_pfe_v7000.onnx --fixed-v 7000 --split val

I/O: features [V,P,4] f32, num_voxels [V] i32, coors [V,4] i32 (batch, x_idx, y_idx, z_idx) ->
pillar_features [V,C]. --fixed-v 0 (default) = dynamic axis named V; > 0 = fully static V (the
tracing frame is zero-padded/truncated to V). The file name is free-form; deploy and
quantize_all.py only recognise lidar_pfe_v7000.onnx. The first frame of --split is voxelized and
checked against the numpy PFE (warns if max-abs-diff > 1e-3; raises on NaN), like the real script.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _calib_data as C  # noqa: E402
from bevlite import model as M  # noqa: E402
from bevlite import onnx_export as X  # noqa: E402
from bevlite.io import die  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    C.common_args(ap, "export/onnx/pointpillars/lidar_pfe.onnx")
    ap.add_argument("--split", choices=["val", "train", "test"], default="val")
    ap.add_argument("--fixed-v", type=int, default=0)
    args = ap.parse_args()
    if args.fixed_v < 0:
        die("--fixed-v must be >= 0")
    cfg, spec, p = C.build_pt_model(args.config, args.ckpt)
    sample = next(C.calib_samples(cfg, 1, args.split))
    f, n, c = M.voxelize_pillars(spec, sample["points"], args.fixed_v)
    ref = M.pfe_forward(p, f, n, c, spec)
    if not np.isfinite(ref).all():
        die("fixed-V padding produced NaNs", code=1)
    V = args.fixed_v if args.fixed_v > 0 else "V"
    g = X.G()
    X.pfe(g, p, spec, "features", "num_voxels", "coors")
    m = g.model([X.tensor("features", [V, spec.max_num_points, 4]), X.tensor("num_voxels", [V], X.TensorProto.INT32),
                 X.tensor("coors", [V, 4], X.TensorProto.INT32)], [X.tensor("pillar_features", [V, spec.Cl])], args.opset,
                "PointPillars PFE")
    C.save(m, args.output)
    try:  # numeric self-check with onnx's reference evaluator (small graph)
        from onnx.reference import ReferenceEvaluator
        out = ReferenceEvaluator(m).run(None, {"features": f, "num_voxels": n, "coors": c})[0]
        diff = float(np.abs(out - ref).max()) if len(ref) else 0.0
        print(f"tracing frame {sample['fid']}: {int((n > 0).sum())} pillars (V={len(n)}), ONNX vs numpy max-abs-diff {diff:.2e}")
        if diff > 1e-3:
            print("WARNING: wrapper vs PFE max-abs-diff > 1e-3")
    except ImportError:
        pass


if __name__ == "__main__":
    main()
