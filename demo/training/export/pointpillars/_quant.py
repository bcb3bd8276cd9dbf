"""Common body of quantize_{camera_backbone,lidar_pfe,fuser,head}.py (OpenVINO env).

Args (identical for the four): --config, --ckpt, --onnx, --out, --num-samples (300), --split
{val,train}. Calibration tensors come from the numpy model on the first --num-samples frames of the
split (the real scripts run the PyTorch model); NNCF call as in the real scripts:
nncf.quantize(ov_model, Dataset, fast_bias_correction=False, subset_size=len(calib)), default
preset, statistics on OpenVINO CPU. Deviation: target_device CPU (real: GPU, the deploy device).
Writes <out>.xml + .bin via ov.save_model (FP16-compressed weights) and prints an FP32-vs-INT8
output comparison on the calibration frames.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _calib_data as C  # noqa: E402


def main(stage: str, default_onnx: str, default_out: str, make_inputs, ignored=None) -> None:
    ap = argparse.ArgumentParser(description=f"NNCF INT8 PTQ of the {stage} stage")
    ap.add_argument("--config", default=C.DEFAULT_CONFIG)
    ap.add_argument("--ckpt", default=C.DEFAULT_CKPT)
    ap.add_argument("--onnx", default=default_onnx)
    ap.add_argument("--out", default=default_out)
    ap.add_argument("--num-samples", type=int, default=300)
    ap.add_argument("--split", choices=["val", "train"], default="val")
    args = ap.parse_args()
    if args.num_samples < 1:
        C.die("--num-samples must be >= 1")
    if not os.path.isfile(args.onnx):
        C.die(f"ONNX not found: {args.onnx}")
    import nncf
    import openvino as ov
    t0 = time.time()
    cfg, spec, params = C.build_pt_model(args.config, args.ckpt)
    core = ov.Core()
    model = core.read_model(args.onnx)
    static_v = None
    if stage == "lidar_pfe":
        dim0 = model.input("features").get_partial_shape()[0]
        static_v = dim0.get_length() if dim0.is_static else None
    calib = [make_inputs(C.pt_extract_all(params, spec, s, static_v)) for s in C.calib_samples(cfg, args.num_samples, args.split)]
    print(f"[{stage}] {len(calib)} calibration frames from split {args.split}" + (f" (static V={static_v})" if static_v else ""), flush=True)
    kw = {"ignored_scope": ignored} if ignored is not None else {}
    q = nncf.quantize(model, nncf.Dataset(calib), fast_bias_correction=False, target_device=nncf.TargetDevice.CPU,
                      subset_size=len(calib), **kw)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    ov.save_model(q, args.out)
    n_fq = sum(1 for op in q.get_ops() if op.get_type_name() == "FakeQuantize")
    f32 = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    i8 = core.compile_model(core.read_model(args.out), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})  # no bf16 default
    worst = 0.0
    for x in calib[: min(5, len(calib))]:
        a = f32.create_infer_request().infer(x)
        b = i8.create_infer_request().infer(x)
        for k in a:
            worst = max(worst, float(np.abs(a[k] - b[k.get_any_name()]).max()))
    print(f"[{stage}] saved {args.out} (+ .bin), {n_fq} FakeQuantize nodes, max |FP32-INT8| on 5 frames {worst:.4f}, "
          f"{time.time() - t0:.1f}s")
