#!/usr/bin/env python3
"""INT8 PTQ of camera.backbone.onnx (mirrors T/export/pointpillars/quantize_camera_backbone.py); see _quant.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _quant  # noqa: E402

if __name__ == "__main__":
    _quant.main("camera", "export/onnx/pointpillars/camera.backbone.onnx", "export/onnx/pointpillars/quantized_camera.xml",
                lambda e: {"img": e["img_nchw"]})
