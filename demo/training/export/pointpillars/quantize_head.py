#!/usr/bin/env python3
"""INT8 PTQ of head.onnx (mirrors T/export/pointpillars/quantize_head.py); see _quant.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _quant  # noqa: E402

if __name__ == "__main__":
    _quant.main("head", "export/onnx/pointpillars/head.onnx", "export/onnx/pointpillars/quantized_head.xml",
                lambda e: {"middle": e["decoder_out"]})
