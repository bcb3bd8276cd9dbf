"""Checkpoint files (`epoch_N.pth`, `latest.pth`): a pickle of {"meta": {...}, "state_dict": {name: ndarray},
"train_state": {...}}.

`train_state` is everything the training loop needs to continue exactly where the epoch ended
(optimizer moments, step counter, RNG state, the cells mined for the next epoch), so a run resumed
with `--resume_from epoch_N.pth` ends with the same bytes as one that never stopped. Files are
written to a temporary name and renamed: a run killed while saving never leaves a truncated
checkpoint under a name a resume would pick.

Only builtins and numpy arrays are stored, so loading uses the restricted unpickler. `meta` carries
the effective config hash, `use_bevpool`, the lidar encoder type and the preset so exporters can
refuse a checkpoint that does not belong to their config (the real tools load with strict=False and
only warn).
"""
from __future__ import annotations

import os

from .io import die, load_pkl, save_pkl


def save_checkpoint(path: str, state: dict, meta: dict, train_state: dict | None = None) -> None:
    ck = {"meta": dict(meta), "state_dict": {k: v for k, v in sorted(state.items())}}
    if train_state is not None:
        ck["train_state"] = train_state
    tmp = f"{path}.tmp{os.getpid()}"
    save_pkl(tmp, ck)
    os.replace(tmp, path)


def load_train_state(path: str, config_hash: str) -> tuple[dict, dict]:
    """`(meta, train_state)` of a checkpoint to resume from; exits unless it was written by a run of
    the same effective config (a resume continues that run, it does not fine-tune another)."""
    if not os.path.isfile(path):
        die(f"resume_from: checkpoint not found: {path}")
    try:
        ck = load_pkl(path)
        meta, ts = ck["meta"], ck.get("train_state")
    except Exception as e:  # noqa: BLE001
        die(f"resume_from: {path}: not a bevlite checkpoint ({e})")
    if ts is None:
        die(f"resume_from: {path} carries no training state (written by an older train.py); train from scratch")
    if meta.get("config_hash") != config_hash:
        die(f"resume_from: {path} was written with config hash {str(meta.get('config_hash'))[:12]}, this run has "
            f"{config_hash[:12]}: resume only continues the same config (use load_from semantics for another)")
    return meta, ts


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
