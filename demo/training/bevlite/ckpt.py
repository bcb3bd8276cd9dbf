"""Checkpoint files (`epoch_N.pth`, `latest.pth`): a pickle of {"meta": {...}, "state_dict": {name: ndarray}}.

Only builtins and numpy arrays are stored, so loading uses the restricted unpickler. `meta` carries
the effective config hash, `use_bevpool`, the lidar encoder type and the preset so exporters can
refuse a checkpoint that does not belong to their config (the real tools load with strict=False and
only warn).
"""
from __future__ import annotations

import os

from .io import die, load_pkl, save_pkl


def save_checkpoint(path: str, state: dict, meta: dict) -> None:
    save_pkl(path, {"meta": dict(meta), "state_dict": {k: v for k, v in sorted(state.items())}})


def load_checkpoint(path: str, spec=None, require_bevpoolv2: bool = False) -> tuple[dict, dict]:
    if not os.path.isfile(path):
        die(f"checkpoint not found: {path}")
    try:
        ck = load_pkl(path)
        meta, state = ck["meta"], ck["state_dict"]
    except Exception as e:  # noqa: BLE001
        die(f"{path}: not a bevlite checkpoint ({e})")
    if require_bevpoolv2 and meta.get("use_bevpool") != "bevpoolv2":
        die(f"{path} was trained with use_bevpool={meta.get('use_bevpool')!r}; the unified export needs a "
            "bevpoolv2 checkpoint (train with .../resnet34/bevpoolv2.yaml)", code=1)
    if spec is not None:
        problems = []
        if meta.get("lidar_type") != spec.lidar_type:
            problems.append(f"lidar encoder {meta.get('lidar_type')} != config's {spec.lidar_type}")
        if meta.get("preset") != spec.cfg["demo"]["preset"]:
            problems.append(f"dataset preset {meta.get('preset')} != config's {spec.cfg['demo']['preset']}")
        if meta.get("bev_side") != spec.S or meta.get("image_size") != spec.image_size:
            problems.append("BEV/image shapes differ from the config")
        if problems:
            die(f"{path} does not match the config: " + "; ".join(problems), code=1)
    return state, meta
