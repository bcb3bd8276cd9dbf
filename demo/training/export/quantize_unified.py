#!/usr/bin/env python3
"""INT8 post-training quantization of the unified model with NNCF (mirrors T/export/quantize_unified.py).

    python -u export/quantize_unified.py --stage pseudo-gt|quantize|all [--config CFG] --n-calib N --n-val M
        --model-fp32 ONNX --geo-dir GEO --calib-dir CAL [--pseudo-gt-cache NPZ] [--output XML]
        [--device CPU] [--plain-ptq] [--preset performance|mixed] [--activation-range histogram] ...

Runs in the OpenVINO env (openvino + nncf + numpy; the config is read by bevlite's pure-Python
loader instead of torchpack/mmcv/mmdet3d). Frames: manifest.txt order (else sorted *_img.npy);
calibration = first --n-calib, validation = next --n-val.

* pseudo-gt: the FP32 model is run on the val frames in chunk subprocesses
  (`--stage pseudo-gt-chunk`, --chunk-size frames each, GPU_CHUNK_RETRIES retries,
  GPU_CHUNK_COOLDOWN_S seconds between chunks) writing `<dirname(cache)>/pseudo_gt_chunks_XXXX/`,
  merged into the cache (np.savez_compressed: frame_ids, boxes_<i>, scores_<i>, labels_<i>) and the
  chunk dir deleted. Always recomputes.
* quantize: checks that the cache's frame_ids equal the current val fids (positional fids: a stale
  cache from another model with the same n_calib/n_val passes this check, as in the real tool),
  runs NNCF PTQ on the OpenVINO model (plain `nncf.quantize` with --plain-ptq, else
  `nncf.quantize_with_accuracy_control` with the pseudo-GT recall as metric), saves --output .xml
  + .bin via ov.save_model, and prints the verification table and
  `[verify] mean recall over <n> frames: <f>  (1.0 = INT8 covers FP32)`.
  Recall = fraction of FP32 pseudo-GT boxes with a same-class INT8 box within 1 m (decode without
  NMS, threshold from the config's bbox_coder, V2X-I constants without --config).
The BEV pool and the LiDAR scatter are kept in floating point through an IgnoredScope (patterns
`cam/BevPoolV2/.*`, `lidar/sparse_to_dense/.*`), the counterpart of the real
`IgnoredScope(types=["BevPoolV2", "SparseToDense"])`.
Env: NNCF_OV_DEVICE (device of NNCF's statistics engine, demo default CPU; real default GPU.1),
OPENVINO_CUSTOM_ROOT (prepended to sys.path / LD_LIBRARY_PATH when <root>/python exists).
Demo default for --device is CPU (real: GPU.1); --model-fp32/--output/--geo-dir/--calib-dir have
no developer-path defaults here: they are required.
"""
from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

_root = os.environ.get("OPENVINO_CUSTOM_ROOT", "")
if _root and os.path.isdir(os.path.join(_root, "python")):
    sys.path.insert(0, os.path.join(_root, "python"))
    os.environ["LD_LIBRARY_PATH"] = _root + ":" + os.environ.get("LD_LIBRARY_PATH", "")

from bevlite.decode import decode  # noqa: E402
from bevlite.geometry import read_bins  # noqa: E402

V2X_DEFAULTS = dict(pc_range=[0.0, -51.2, -5.0, 102.4, 51.2, 3.0], post_center_range=[0.0, -61.2, -10.0, 122.4, 61.2, 10.0],
                    score_threshold=0.1)


def fail(msg: str, code: int = 2) -> None:
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(code)


def decode_consts(config: str) -> dict:
    if not config:
        return dict(V2X_DEFAULTS)
    from bevlite.config import load_or_exit
    cfg = load_or_exit(config)
    bc = cfg["model"]["heads"]["object"]["bbox_coder"]
    return dict(pc_range=list(cfg["point_cloud_range"]), post_center_range=list(bc["post_center_range"]),
                score_threshold=float(bc["score_threshold"]))


def frame_ids(calib_dir: str) -> list[str]:
    man = os.path.join(calib_dir, "manifest.txt")
    if os.path.isfile(man):
        with open(man) as f:
            return [l.strip() for l in f if l.strip()]
    return sorted(os.path.basename(p)[:-len("_img.npy")] for p in glob.glob(os.path.join(calib_dir, "*_img.npy")))


def load_frame(calib_dir: str, fid: str, geo) -> dict:
    d = {"img": np.load(os.path.join(calib_dir, f"{fid}_img.npy")), "indices": geo[0], "intervals": geo[1],
         "voxel_features": np.load(os.path.join(calib_dir, f"{fid}_voxel_features.npy")),
         "voxel_indices": np.load(os.path.join(calib_dir, f"{fid}_voxel_indices.npy"))}
    return d


def patch_nncf_device(device: str) -> None:
    """Compile NNCF's statistics/validation engines on NNCF_OV_DEVICE with an f32 hint (real: GPU.1)."""
    import nncf.openvino.engine as eng
    import openvino as ov
    from openvino.properties.hint import inference_precision

    def __init__(self, model, use_fp32_precision: bool = True):
        cfg = {inference_precision: ov.Type.f32} if use_fp32_precision else None
        compiled = ov.Core().compile_model(model, device_name=device, config=cfg)
        self.engine = eng.OVCompiledModelEngine(compiled, eng.model_has_state(model))

    eng.OVNativeEngine.__init__ = __init__


def run_model(compiled, frame: dict) -> dict:
    res = compiled.create_infer_request().infer(frame)
    return {k.get_any_name(): v for k, v in res.items()}


def boxes_of(out: dict, consts: dict) -> np.ndarray:
    return decode(out, consts["score_threshold"], consts["pc_range"], consts["post_center_range"], nms=False)


def recall(ref: np.ndarray, pred: np.ndarray) -> float:
    if len(ref) == 0:
        return 1.0
    hit = 0
    for b in ref:
        if len(pred) and np.any((pred[:, 10] == b[10]) & (np.hypot(pred[:, 0] - b[0], pred[:, 1] - b[1]) <= 1.0)):
            hit += 1
    return hit / len(ref)


def stage_chunk(args, consts) -> None:
    import openvino as ov
    geo = read_bins(args.geo_dir)
    compiled = ov.Core().compile_model(args.model_fp32, args.device, {"INFERENCE_PRECISION_HINT": "f32"})
    out = {}
    fids = args.chunk_fids.split(",")
    for i, fid in enumerate(fids):
        b = boxes_of(run_model(compiled, load_frame(args.calib_dir, fid, geo)), consts)
        out[f"boxes_{fid}"], out[f"scores_{fid}"], out[f"labels_{fid}"] = b[:, :9], b[:, 9], b[:, 10].astype(np.int64)
        print(f"  [fp32 pseudo-GT] {fid}: {len(b)} boxes", flush=True)
    np.savez_compressed(args.chunk_output, **out)


def stage_pseudo_gt(args, val: list[str], cache: str) -> None:
    chunk_dir = os.path.join(os.path.dirname(os.path.abspath(cache)), f"pseudo_gt_chunks_{os.getpid():04d}")
    os.makedirs(chunk_dir, exist_ok=True)
    retries = int(os.environ.get("GPU_CHUNK_RETRIES", "2"))
    cooldown = float(os.environ.get("GPU_CHUNK_COOLDOWN_S", "3"))
    chunks = [val[i:i + args.chunk_size] for i in range(0, len(val), args.chunk_size)]
    merged = {}
    for ci, fids in enumerate(chunks):
        if ci:
            time.sleep(cooldown)
        path = os.path.join(chunk_dir, f"chunk_{ci:03d}.npz")
        cmd = [sys.executable, "-u", os.path.abspath(__file__), "--stage", "pseudo-gt-chunk", "--chunk-fids", ",".join(fids),
               "--chunk-output", path, "--model-fp32", args.model_fp32, "--geo-dir", args.geo_dir, "--calib-dir", args.calib_dir,
               "--device", args.device]
        if args.config:
            cmd += ["--config", args.config]
        for attempt in range(retries + 1):
            rc = subprocess.call(cmd)
            if rc == 0:
                break
            print(f"  chunk {ci} failed (rc {rc}), attempt {attempt + 1}/{retries + 1}")
        else:
            fail(f"pseudo-GT chunk {ci} failed; partial results left in {chunk_dir}", code=1)
        with np.load(path) as z:
            merged.update({k: z[k] for k in z.files})
    out = {"frame_ids": np.array(val)}
    counts = []
    for i, fid in enumerate(val):
        out[f"boxes_{i}"], out[f"scores_{i}"], out[f"labels_{i}"] = merged[f"boxes_{fid}"], merged[f"scores_{fid}"], merged[f"labels_{fid}"]
        counts.append(len(merged[f"scores_{fid}"]))
    np.savez_compressed(cache, **out)
    shutil.rmtree(chunk_dir, ignore_errors=True)
    print(f"  pseudo-GT box counts: mean={np.mean(counts):.2f} min={min(counts)} max={max(counts)}")
    print(f"  pseudo-GT cache -> {cache}")


def stage_quantize(args, calib: list[str], val: list[str], cache: str, consts: dict) -> None:
    import nncf
    import openvino as ov
    from nncf.quantization.advanced_parameters import AdvancedAccuracyRestorerParameters, AdvancedQuantizationParameters
    from nncf.quantization.range_estimator import RangeEstimatorParametersSet

    if not os.path.isfile(cache):
        fail(f"pseudo-GT cache {cache} not found (run --stage pseudo-gt first)")
    z = np.load(cache)
    cached = [str(x) for x in z["frame_ids"]]
    if cached != val:
        fail(f"pseudo-GT cache {cache} covers frames {cached[:3]}..., expected the val frames {val[:3]}... (rerun --stage pseudo-gt)")
    ref = [np.c_[z[f"boxes_{i}"], z[f"scores_{i}"], z[f"labels_{i}"]] if len(z[f"scores_{i}"]) else np.zeros((0, 11)) for i in range(len(val))]
    geo = read_bins(args.geo_dir)
    core = ov.Core()
    model = core.read_model(args.model_fp32)
    calib_frames = [load_frame(args.calib_dir, f, geo) for f in calib]
    val_frames = [load_frame(args.calib_dir, f, geo) for f in val]
    ranges = {"minmax": RangeEstimatorParametersSet.MINMAX, "mean_minmax": RangeEstimatorParametersSet.MEAN_MINMAX,
              "median_minmax": RangeEstimatorParametersSet.MEDIAN_MINMAX, "mean_no_outliers": RangeEstimatorParametersSet.MEAN_NO_OUTLIERS_MINMAX,
              "mean_quantile": RangeEstimatorParametersSet.MEAN_QUANTILE, "histogram": RangeEstimatorParametersSet.HISTOGRAM}
    est = ranges[args.activation_range]
    if args.quantile_outlier_prob is not None and args.activation_range == "mean_quantile":
        from nncf.quantization.range_estimator import (AggregatorType, RangeEstimatorParameters, StatisticsCollectorParameters,
                                                       StatisticsType)
        q = args.quantile_outlier_prob
        est = RangeEstimatorParameters(
            min=StatisticsCollectorParameters(StatisticsType.QUANTILE, AggregatorType.MEAN, quantile_outlier_prob=q),
            max=StatisticsCollectorParameters(StatisticsType.QUANTILE, AggregatorType.MEAN, quantile_outlier_prob=q))
    adv = AdvancedQuantizationParameters(activations_range_estimator_params=est)
    names = [n for n in args.extra_ignored_names.split(",") if n]
    patterns = [r"cam/BevPoolV2/.*", r"lidar/sparse_to_dense/.*"] + [p for p in args.extra_ignored_patterns.split(",") if p]
    ignored = nncf.IgnoredScope(names=names, patterns=patterns, validate=False)
    preset = nncf.QuantizationPreset.MIXED if args.preset == "mixed" else nncf.QuantizationPreset.PERFORMANCE
    t0 = time.time()
    if args.plain_ptq:
        qmodel = nncf.quantize(model, nncf.Dataset(calib_frames), preset=preset, subset_size=len(calib_frames),
                               ignored_scope=ignored, advanced_parameters=adv)
    else:
        def validate(compiled, items) -> float:
            return float(np.mean([recall(r, boxes_of(run_model(compiled, f), consts)) for r, f in zip(ref, items)]))
        qmodel = nncf.quantize_with_accuracy_control(
            model, nncf.Dataset(calib_frames), nncf.Dataset(val_frames), validation_fn=validate, max_drop=args.max_drop,
            drop_type=nncf.DropType.ABSOLUTE, preset=preset, subset_size=len(calib_frames), ignored_scope=ignored,
            advanced_quantization_parameters=adv,
            advanced_accuracy_restorer_parameters=AdvancedAccuracyRestorerParameters(
                max_num_iterations=args.max_restore_iters, ranking_subset_size=args.ranking_subset_size))
    print(f"  NNCF {'PTQ' if args.plain_ptq else 'PTQ + accuracy control'} done in {time.time() - t0:.1f}s")
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    ov.save_model(qmodel, args.output)
    n_fq = sum(1 for op in qmodel.get_ops() if op.get_type_name() == "FakeQuantize")
    print(f"  saved {args.output} (+ .bin), {n_fq} FakeQuantize nodes")

    # both compiled with an f32 hint: on CPUs with bf16 support OpenVINO's default inference
    # precision is bf16, which would perturb the non-quantized parts of both models
    fp32 = core.compile_model(model, args.device, {"INFERENCE_PRECISION_HINT": "f32"})
    int8 = core.compile_model(core.read_model(args.output), args.device, {"INFERENCE_PRECISION_HINT": "f32"})
    recs, same = [], 0
    for i, (fid, f) in enumerate(zip(val, val_frames)):
        o32, o8 = run_model(fp32, f), run_model(int8, f)
        b8 = boxes_of(o8, consts)
        r = recall(ref[i], b8)
        recs.append(r)
        same += len(b8) == len(ref[i])
        if i < min(10, len(val)):
            l1 = float(np.abs(o32["task0_heatmap"] - o8["task0_heatmap"]).mean())
            print(f"  {fid}  task0_heatmap L1={l1:.5f}  FP32_boxes={len(ref[i])}  INT8_boxes={len(b8)}  recall={r:.3f}")
    print(f"[verify] mean recall over {len(val)} frames: {np.mean(recs):.4f}  (1.0 = INT8 covers FP32)")
    print(f"[verify] equal box counts (pseudo-GT decode, no NMS): {same}/{len(val)} frames")


def main() -> None:
    ap = argparse.ArgumentParser(description="NNCF INT8 quantization of the unified model.")
    ap.add_argument("--stage", choices=["pseudo-gt", "pseudo-gt-chunk", "quantize", "all"], default="all")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--config", default="")
    ap.add_argument("--n-calib", type=int, default=300)
    ap.add_argument("--n-val", type=int, default=100)
    ap.add_argument("--max-drop", type=float, default=0.05)
    ap.add_argument("--device", default="CPU")
    ap.add_argument("--model-fp32", default=None)
    ap.add_argument("--output", default=None)
    ap.add_argument("--geo-dir", default=None)
    ap.add_argument("--calib-dir", default=None)
    ap.add_argument("--pseudo-gt-cache", default="")
    ap.add_argument("--chunk-size", type=int, default=100)
    ap.add_argument("--ranking-subset-size", type=int, default=30)
    ap.add_argument("--max-restore-iters", type=int, default=32)
    ap.add_argument("--plain-ptq", action="store_true")
    ap.add_argument("--preset", choices=["performance", "mixed"], default="performance")
    ap.add_argument("--extra-ignored-names", default="")
    ap.add_argument("--extra-ignored-patterns", default="")
    ap.add_argument("--activation-range", default="histogram",
                    choices=["minmax", "mean_minmax", "median_minmax", "mean_no_outliers", "mean_quantile", "histogram"])
    ap.add_argument("--quantile-outlier-prob", type=float, default=None)
    ap.add_argument("--chunk-fids", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--chunk-output", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.smoke:
        args.n_calib, args.n_val, args.max_drop, args.chunk_size = 3, 2, 1.0, 2
    for flag in ("model_fp32", "geo_dir", "calib_dir"):
        if not getattr(args, flag):
            fail(f"--{flag.replace('_', '-')} is required (the demo has no developer-path defaults)")
    if args.stage in ("quantize", "all") and not args.output:
        fail("--output is required for the quantize stage")
    for path in (args.model_fp32, args.geo_dir, args.calib_dir):
        if not os.path.exists(path):
            fail(f"{path} does not exist")
    consts = decode_consts(args.config)
    if args.stage == "pseudo-gt-chunk":
        stage_chunk(args, consts)
        return
    import nncf
    import openvino as ov
    nncf_dev = os.environ.get("NNCF_OV_DEVICE", "CPU")
    print(f"OV: {ov.get_version()}")
    print(f"NNCF: {nncf.__version__}")
    print(f"Device: {args.device}   stage: {args.stage}   (NNCF_OV_DEVICE={nncf_dev})")
    patch_nncf_device(nncf_dev)
    fids = frame_ids(args.calib_dir)
    if args.n_calib < 1 or args.n_val < 1:
        fail("--n-calib and --n-val must be >= 1")
    if args.n_calib + args.n_val > len(fids):
        fail(f"n_calib + n_val = {args.n_calib + args.n_val} > {len(fids)} frames in {args.calib_dir}")
    calib, val = fids[:args.n_calib], fids[args.n_calib:args.n_calib + args.n_val]
    cache = args.pseudo_gt_cache or os.path.join(args.calib_dir, "_pseudo_gt.npz")
    if args.stage in ("pseudo-gt", "all"):
        stage_pseudo_gt(args, val, cache)
    if args.stage in ("quantize", "all"):
        stage_quantize(args, calib, val, cache, consts)


if __name__ == "__main__":
    main()
