#!/usr/bin/env python3
"""INT8 PTQ of fuser.onnx (mirrors T/export/pointpillars/quantize_fuser.py); see _quant.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _quant  # noqa: E402

if __name__ == "__main__":
    _quant.main("fuser", "export/onnx/pointpillars/fuser.onnx", "export/onnx/pointpillars/quantized_fuser.xml",
                lambda e: {"cam_bev": e["cam_bev"], "lidar_bev": e["lidar_bev"]})
