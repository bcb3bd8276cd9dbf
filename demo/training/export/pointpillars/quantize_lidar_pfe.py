#!/usr/bin/env python3
"""INT8 PTQ of the PFE (mirrors T/export/pointpillars/quantize_lidar_pfe.py); see _quant.py.

Like the real script the whole PFE is excluded from quantization (the real one lists 18 exporter
node names with validate=False; here the `pfe/.*` name pattern), so NNCF reports that there is
nothing to quantize and the saved "quantized" PFE is an FP32/FP16 IR. Inputs are zero-padded to the
ONNX's static V when `features` has a concrete first dimension (lidar_pfe_v7000.onnx).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _quant  # noqa: E402

if __name__ == "__main__":
    import nncf
    _quant.main("lidar_pfe", "export/onnx/pointpillars/lidar_pfe_v7000.onnx", "export/onnx/pointpillars/quantized_lidar_pfe.xml",
                lambda e: {"features": e["features"], "num_voxels": e["num_voxels"], "coors": e["coors"]},
                ignored=nncf.IgnoredScope(patterns=[r"pfe/.*"], validate=False))
