"""Shared helpers of the Pipeline-A scripts (mirrors T/export/pointpillars/_calib_data.py).

build_pt_model(config, ckpt) -> (cfg, spec, params); calib_samples(cfg, n, split) yields the first n
samples of cfg.data[split] (no shuffle); pt_extract_all(...) returns the numpy inputs/outputs of
every stage for one sample (img_nchw, features, num_voxels, coors, cam_bev, lidar_bev, decoder_out).
Pure numpy (bevlite), so it runs in either env.
"""
from __future__ import annotations

import os
import sys

import numpy as np

T = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, T)
from bevlite import model as M  # noqa: E402
from bevlite.ckpt import load_checkpoint  # noqa: E402
from bevlite.config import load_or_exit  # noqa: E402
from bevlite.data import build_dataset, load_sample  # noqa: E402
from bevlite.io import die  # noqa: E402

DEFAULT_CONFIG = "configs/V2X-I/det/centerhead/lssfpn/camera+pointpillar/resnet34/default.yaml"
DEFAULT_CKPT = "work_dirs/V2X-I/pp/latest.pth"


def build_pt_model(config: str, ckpt: str):
    cfg = load_or_exit(config)
    spec = M.Spec(cfg)
    if spec.lidar_type != "pillar":
        die(f"{config} is not a Pipeline-A (camera+pointpillar) config")
    params, _ = load_checkpoint(ckpt, spec)
    return cfg, spec, params


def calib_samples(cfg: dict, num_samples: int, split: str = "val"):
    infos = build_dataset(cfg, split)
    if not infos:
        die(f"split {split} is empty", code=1)
    if num_samples > len(infos):
        print(f"WARNING: split {split} has {len(infos)} samples, fewer than --num-samples {num_samples}")
    for info in infos[:num_samples]:
        yield load_sample(cfg, info)


def pt_extract_all(params: dict, spec, sample: dict, fixed_V: int | None = None) -> dict:
    feat, depth = M.camera_forward(params, sample["img"], spec)
    geo = M.bevpool_tables(M.frustum_ranks(spec, sample["lidar2cam"], sample["cam2img"]))
    cam_bev = M.bev_pool(feat, depth, geo[0], geo[1], spec.S)
    f, n, c = M.voxelize_pillars(spec, sample["points"], fixed_V or 0)
    pf = M.pfe_forward(params, f, n, c, spec)
    lidar_bev = M.pillar_scatter(pf, c, n, spec.S)
    mid = M.fuser_forward(params, np.concatenate([cam_bev, lidar_bev]), spec)
    return {"img_nchw": sample["img"], "features": f, "num_voxels": n, "coors": c, "cam_bev": cam_bev[None],
            "lidar_bev": lidar_bev[None], "decoder_out": mid[None], "camera_feature": feat[None], "camera_depth": depth[None]}


def common_args(ap, out_default: str) -> None:
    ap.add_argument("--config", default=DEFAULT_CONFIG)
    ap.add_argument("--ckpt", default=DEFAULT_CKPT)
    ap.add_argument("-o", "--output", default=out_default)
    ap.add_argument("--opset", type=int, default=13)


def save(model, path: str) -> None:
    import onnx
    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    onnx.save(model, path)
    print(f"saved {path} ({os.path.getsize(path)} bytes)")
