#!/usr/bin/env python3
"""Train the miniature model (mirrors T/tools/train.py: `config [--run-dir DIR] [--no-dist] [--a.b VALUE ...]`).

Unknown `--a.b.c VALUE` arguments override config keys before `${...}` interpolation, as torchpack
does. Writes to the run dir: `configs.yaml` (merged config), `<YYYYmmdd_HHMMSS>.log`,
`epoch_1.pth ... epoch_<max_epochs>.pth` and `latest.pth` (a copy, not mmcv's symlink). Without
`--run-dir` the real default `runs/run-<git8>-<cfghash8>` is used (git hash replaced by 'nogit' when
cwd is not a git checkout).

What is fitted (numpy, deterministic given `seed`):
  * the camera colour reference (mean pooled colour of the train images) and the depth prior
    (log histogram of the labelled objects' camera depths over the depth bins);
  * per-channel input normalisation of the fused BEV tensor (folded into the encoders);
  * fuser (log1p, kxk conv + ReLU) + CenterHead 1x1 convs by Adam (minibatches) on BEV cells
    sampled around objects (8 grid symmetries as augmentation),
    on everything above the ground, and on random background, with hard-negative mining after
    each epoch. Loss: weighted margin-BCE on the 10 heatmap channels (confident scores, away from
    the deploy thresholds) + dense L1 regression around object centres.
Resuming (mmcv's `resume_from`, set like any key: `--resume_from <run_dir>/epoch_N.pth`): the run
continues after epoch N from the checkpoint's training state (weights, Adam moments, step counter,
RNG state, the hard negatives mined for epoch N+1), so it ends with the same bytes as a run that was
never interrupted. SIGTERM, SIGINT and SIGUSR1 (SLURM's `--signal` warning before a time limit)
stop the run at the next step boundary; a signal that arrives while an epoch is being scored and
saved lets that checkpoint finish first. The tool then names the last complete checkpoint and exits
with 128 + the signal number. (The real mmcv runner has no such handler: there the last
`epoch_N.pth` written before the kill is what a resume starts from.)
`--no-dist` is accepted for CLI compatibility (the demo is always single-process). Without it the
real tool needs torchpack dist-run; the demo only prints a note.
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import math
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bevlite import model as M  # noqa: E402
from bevlite.ckpt import load_train_state, save_checkpoint  # noqa: E402
from bevlite.config import config_hash, dump_yaml, load_or_exit  # noqa: E402
from bevlite.data import build_dataset, load_sample  # noqa: E402
from bevlite.io import die  # noqa: E402


class Log:
    def __init__(self, path: str):
        self.f = open(path, "w")

    def __call__(self, msg: str) -> None:
        line = f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M:%S')} - {msg}"
        print(msg, flush=True)
        self.f.write(line + "\n")
        self.f.flush()


def fixed_params(spec: M.Spec, train: list[dict]) -> dict:
    p = {}
    # camera colour encoder: ReLU(+-(pooled colour - reference colour)), reference = train mean
    pooled = np.concatenate([s["img"][0, :, : spec.fH * 16, : spec.fW * 16].reshape(3, -1) for s in train], 1)
    ref = pooled.mean(1)
    w = np.zeros((spec.Cc, 3), np.float32)
    b = np.zeros(spec.Cc, np.float32)
    for c in range(min(3, spec.Cc // 2)):
        w[2 * c, c], b[2 * c] = 1.0, -ref[c]
        w[2 * c + 1, c], b[2 * c + 1] = -1.0, ref[c]
    p["cam.feat.weight"], p["cam.feat.bias"] = w, b
    # depth prior: where labelled objects are along the camera ray
    hist = np.ones(spec.D)
    for s in train:
        for box in s["gt_boxes"]:
            depth = (s["lidar2cam"] @ np.r_[box[:3], 1.0])[2]
            k = int((depth - spec.dbound[0]) // spec.dbound[2])
            if 0 <= k < spec.D:
                hist[k] += 1
    p["cam.depth.weight"] = np.zeros((spec.D, 3), np.float32)
    p["cam.depth.bias"] = np.log(hist / hist.sum()).astype(np.float32)
    w, b = M.point_encoder_weights(spec)
    p["lidar.encoder.weight"], p["lidar.encoder.bias"] = w, b
    return p


def targets(spec: M.Spec, boxes: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell: heatmap class at object centres (-1 none), dense regression targets [10] for the
    cells around each centre (radius 2 cells for task-0 classes, whose circle NMS covers 2 m,
    1 cell for task 1; offsets point at the true centre, so a neighbour cell that fires still
    decodes the same box and is removed by NMS), and the class of those neighbourhood cells."""
    S = spec.S
    cls = np.full(S * S, -1, np.int64)
    reg = np.zeros((S * S, 10), np.float32)
    near = np.full(S * S, -1, np.int64)
    for box, lab in zip(boxes, labels):
        fx = (box[0] - spec.pc_range[0]) / M.CELL
        fy = (box[1] - spec.pc_range[1]) / M.CELL
        r, q = int(fx), int(fy)
        if not (0 <= r < S and 0 <= q < S):
            continue
        rad = 2 if lab < 5 else 1
        for rr in range(max(r - rad, 0), min(r + rad + 1, S)):
            for qq in range(max(q - rad, 0), min(q + rad + 1, S)):
                i = rr * S + qq
                near[i] = lab
                reg[i] = [fx - rr, fy - qq, box[2], math.log(box[3]), math.log(box[4]), math.log(box[5]),
                          math.sin(box[6]), math.cos(box[6]), 0.0, 0.0]
        cls[r * S + q] = lab
    return cls, reg, near


class StopFlag:
    """Remembers the first stop signal; the loop checks it at step and epoch boundaries."""

    def __init__(self) -> None:
        self.signum: int | None = None
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
            signal.signal(s, self._on)

    def _on(self, signum, _frame) -> None:
        self.signum = self.signum or signum

    def exit_if_set(self, log, run_dir: str, done: int, where: str) -> None:
        if self.signum is None:
            return
        last = os.path.join(run_dir, f"epoch_{done}.pth") if done else "none (no epoch finished)"
        log(f"received {signal.Signals(self.signum).name} {where}: stopping; last complete checkpoint: {last}")
        sys.exit(128 + self.signum)


def main() -> None:
    stop = StopFlag()
    ap = argparse.ArgumentParser(description="Train the bevlite demo model.")
    ap.add_argument("config")
    ap.add_argument("--run-dir", default=None)
    ap.add_argument("--no-dist", action="store_true")
    args, opts = ap.parse_known_args()
    cfg = load_or_exit(args.config, opts)
    t0 = time.time()
    chash = config_hash(cfg)
    resume_from = cfg.get("resume_from")
    run_dir = args.run_dir
    if run_dir is None:
        try:
            git = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout[:8]
        except (OSError, subprocess.CalledProcessError):
            git = "nogit"
        run_dir = os.path.join("runs", f"run-{git}-{chash[:8]}")
    os.makedirs(run_dir, exist_ok=True)
    cfg["run_dir"] = run_dir
    with open(os.path.join(run_dir, "configs.yaml"), "w") as f:
        f.write(dump_yaml(cfg) + "\n")
    log = Log(os.path.join(run_dir, datetime.datetime.now().strftime("%Y%m%d_%H%M%S") + ".log"))
    if not args.no_dist:
        log("note: distributed training is not part of the demo; running single-process (as --no-dist)")
    spec = M.Spec(cfg)
    seed = int(cfg.get("seed", 0))
    epochs = int(cfg["max_epochs"])
    if epochs < 1:
        die("max_epochs must be >= 1")
    log(f"config {args.config} (hash {chash[:12]}), lidar={spec.lidar_type}, use_bevpool={spec.use_bevpool}, "
        f"BEV {spec.S}x{spec.S}, epochs {epochs}, seed {seed}")

    infos = build_dataset(cfg, "train")
    train = [load_sample(cfg, i) for i in infos]
    if not train:
        die("train split is empty")
    p = fixed_params(spec, train)
    maps = [M.bev_inputs(p, spec, s) for s in train]
    # augmentation: the 8 symmetries of the square BEV grid (flips and the x<->y transpose; boxes
    # transformed accordingly). Not all are physical for range-dependent point density, but they
    # multiply the few training objects and the 5x5 head only sees local patterns.
    aug_maps, tg = [], []
    cx = (spec.pc_range[0] + spec.pc_range[3]) / 2
    cy = (spec.pc_range[1] + spec.pc_range[4]) / 2
    for s, m in zip(train, maps):
        for tr in (False, True):
            for fx in (False, True):
                for fy in (False, True):
                    bx = s["gt_boxes"].copy()
                    mm = m
                    if tr:  # swap the x and y axes about the grid centre
                        bx[:, 0], bx[:, 1] = bx[:, 1] - cy + cx, bx[:, 0] - cx + cy
                        bx[:, 6] = np.pi / 2 - bx[:, 6]
                        mm = mm.transpose(0, 2, 1)
                    if fy:
                        bx[:, 1] = 2 * cy - bx[:, 1]
                        bx[:, 6] = -bx[:, 6]
                        mm = mm[:, :, ::-1]
                    if fx:
                        bx[:, 0] = 2 * cx - bx[:, 0]
                        bx[:, 6] = np.pi - bx[:, 6]
                        mm = mm[:, ::-1, :]
                    aug_maps.append(np.ascontiguousarray(mm))
                    tg.append(targets(spec, bx, s["gt_labels"]))
    maps = aug_maps
    n_obj = sum(len(s["gt_boxes"]) for s in train)
    log(f"train frames {len(train)} (x8 grid symmetries), objects {n_obj}, features {time.time() - t0:.1f}s")

    # input normalisation: unit std per BEV channel, folded into the camera colour encoder and the
    # point encoder (both positively homogeneous), so the fuser's INT8 input quantizer sees
    # channels of comparable range
    allx = np.concatenate([m.reshape(m.shape[0], -1) for m in maps], 1)
    scale = np.minimum(1.0 / (allx.std(1) + 1e-3), 50.0).astype(np.float32)
    p["cam.feat.weight"] *= scale[: spec.Cc, None]
    p["cam.feat.bias"] *= scale[: spec.Cc]
    p["lidar.encoder.weight"] *= scale[None, spec.Cc:]
    p["lidar.encoder.bias"] *= scale[spec.Cc:]
    maps = [np.log1p(m * scale[:, None, None]) for m in maps]  # the fuser's log1p (see bevlite.model)
    k, S, Cin = spec.k, spec.S, maps[0].shape[0]
    windows = [np.lib.stride_tricks.sliding_window_view(np.pad(m, ((0, 0), (k // 2, k // 2), (k // 2, k // 2))), (k, k), axis=(1, 2))
               for m in maps]  # views [C,S,S,k,k]; patch rows are gathered per sampled cell

    def rows(i: int, cells_i: np.ndarray) -> np.ndarray:
        r, q = np.divmod(cells_i, S)
        return np.ascontiguousarray(windows[i][:, r, q].transpose(1, 0, 2, 3)).reshape(len(cells_i), Cin * k * k)
    rng = np.random.default_rng(seed)

    def initial_cells(fi: int) -> np.ndarray:
        near = np.zeros((S, S), bool)
        for i in np.flatnonzero(tg[fi][2] >= 0):
            r, q = divmod(i, S)
            near[max(r - 3, 0):r + 4, max(q - 3, 0):q + 4] = True
        occ = maps[fi][spec.Cc + 2] > 0  # something > 0.6 m above ground (objects, bushes)
        grow = np.zeros((S, S), bool)
        for dr in (-1, 0, 1):
            for dq in (-1, 0, 1):
                grow |= np.roll(np.roll(occ, dr, 0), dq, 1)
        sel = near | grow
        if fi % 8 == 0:  # random background cells on the un-augmented frames
            sel.reshape(-1)[rng.choice(S * S, 200, replace=False)] = True
        return np.flatnonzero(sel)

    cells = [initial_cells(i) for i in range(len(maps))]
    hidden, nout = spec.hidden, 2 * M.PER_TASK
    w1 = (rng.standard_normal((hidden, Cin * k * k)) * math.sqrt(2.0 / (Cin * k * k))).astype(np.float32)
    b1 = np.zeros(hidden, np.float32)
    w2 = (rng.standard_normal((nout, hidden)) * 0.01).astype(np.float32)
    b2 = np.zeros(nout, np.float32)
    for t in range(2):
        b2[t * M.PER_TASK: t * M.PER_TASK + 5] = -4.0
    params = [w1, b1, w2, b2]
    mom = [np.zeros_like(x) for x in params]
    vel = [np.zeros_like(x) for x in params]
    lr = float(cfg["demo"]["lr"])
    batch = int(cfg["demo"].get("batch", 4096))
    margin = float(cfg["demo"].get("margin", 0.0))
    reg_weight = float(cfg["demo"].get("reg_weight", 1.0))
    steps_per_epoch = max(1, int(cfg["demo"]["train_steps"]) // epochs)
    hm_cols = np.r_[0:5, M.PER_TASK:M.PER_TASK + 5]
    reg_cols = [np.r_[5:15], np.r_[M.PER_TASK + 5:M.PER_TASK + 15]]
    step = 0
    start = 1
    if resume_from:
        meta, ts = load_train_state(str(resume_from), chash)
        for prm, saved in zip(params + mom + vel, ts["params"] + ts["mom"] + ts["vel"]):
            prm[...] = saved
        # astype: fresh arrays with numpy's own dtype objects, so the checkpoints this run pickles are
        # byte-identical to an uninterrupted run's (unpickled dtypes are distinct objects, memoized apart)
        step, cells = int(ts["step"]), [np.asarray(c).astype(np.int64) for c in ts["cells"]]
        rng.bit_generator.state = ts["rng"]
        start = int(meta["epoch"]) + 1
        log(f"resuming from {resume_from}: epoch {meta['epoch']} done at step {step}; continuing at epoch {start}/{epochs}")
    stop.exit_if_set(log, run_dir, start - 1, "before training")

    for epoch in range(start, epochs + 1):
        X = np.concatenate([rows(i, c) for i, c in enumerate(cells)])
        cls = np.concatenate([tg[i][0][c] for i, c in enumerate(cells)])
        reg = np.concatenate([tg[i][1][c] for i, c in enumerate(cells)])
        near = np.concatenate([tg[i][2][c] for i, c in enumerate(cells)])
        pos = cls >= 0
        Y = np.zeros((len(cls), 10), np.float32)
        Y[pos, cls[pos]] = 1.0
        W = np.ones((len(cls), 10), np.float32)
        W[pos] = max(1.0, 0.25 * (~pos).sum() / max(pos.sum(), 1))  # positives: ~1/5 of the mass
        nb = (near >= 0) & ~pos
        W[np.flatnonzero(nb), near[nb]] = 0.0  # centre neighbours of the same class: no heatmap loss
        W /= W.mean()
        regm = near >= 0
        task_of = np.where(near >= 5, 1, 0)
        te = time.time()
        for _ in range(steps_per_epoch):
            stop.exit_if_set(log, run_dir, epoch - 1, f"during epoch {epoch}")
            step += 1
            bi = rng.choice(len(X), min(batch, len(X)), replace=False)
            xb, yb, wb = X[bi], Y[bi], W[bi]
            h_pre = xb @ w1.T + b1
            h = np.maximum(h_pre, 0)
            o = h @ w2.T + b2
            g = np.zeros_like(o)
            # margin BCE: positives are scored as if their logit were `margin` lower, negatives
            # `margin` higher, so the fit leaves a gap around both deploy thresholds (0.1 / 0.5)
            prob = 1.0 / (1.0 + np.exp(-np.clip(o[:, hm_cols] + margin * (1 - 2 * yb), -30, 30)))
            g[:, hm_cols] = (prob - yb) * wb / (len(bi) * 10.0)
            bce = float(-(wb * (yb * np.log(prob + 1e-7) + (1 - yb) * np.log(1 - prob + 1e-7))).mean())
            l1 = 0.0
            for t in (0, 1):
                m = regm[bi] & (task_of[bi] == t)
                if m.any():
                    d = o[m][:, reg_cols[t]] - reg[bi][m]
                    l1 += float(np.abs(d).mean())
                    gg = np.zeros((int(m.sum()), nout), np.float32)
                    gg[:, reg_cols[t]] = reg_weight * np.sign(d) / (m.sum() * 10.0)
                    g[m] += gg
            gh = (g @ w2) * (h_pre > 0)
            grads = [gh.T @ xb, gh.sum(0), g.T @ h, g.sum(0)]
            a = lr * math.sqrt(1 - 0.999 ** step) / (1 - 0.9 ** step)
            for prm, gr, m1, m2 in zip(params, grads, mom, vel):
                m1 *= 0.9
                m1 += 0.1 * gr
                m2 *= 0.999
                m2 += 0.001 * gr * gr
                prm -= (a * m1 / (np.sqrt(m2) + 1e-8)).astype(np.float32)
        # score the full train maps; add hard negatives for the next epoch
        fp = fn = 0
        lo_pos, hi_neg = 1.0, 0.0
        for i in range(0, len(maps), 8):  # the un-augmented frames
            o = np.maximum(M.patches(maps[i], k) @ w1.T + b1, 0) @ w2.T + b2
            prob = 1.0 / (1.0 + np.exp(-np.clip(o[:, hm_cols], -30, 30)))
            c, nbr = tg[i][0], tg[i][2]
            if (c >= 0).any():
                pp = prob[np.flatnonzero(c >= 0), c[c >= 0]]
                lo_pos = min(lo_pos, float(pp.min()))
                fn += int((pp < 0.5).sum())
            neg = prob.copy()
            neg[np.flatnonzero(nbr >= 0), nbr[nbr >= 0]] = 0.0
            hi_neg = max(hi_neg, float(neg.max()))
            fp += int((neg.max(1) > 0.5).sum())
            cells[i] = np.union1d(cells[i], np.flatnonzero(neg.max(1) > 0.02))
        log(f"epoch {epoch}/{epochs}: step {step}, bce {bce:.4f}, reg-L1 {l1:.3f}, train: min centre score {lo_pos:.3f}, "
            f"max background score {hi_neg:.3f}, missed {fn}, false cells {fp}, samples {len(X)}, {time.time() - te:.1f}s")
        state = dict(p)
        state["fuser.weight"] = w1.reshape(hidden, Cin, k, k).copy()
        state["fuser.bias"] = b1.copy()
        state["head.weight"], state["head.bias"] = w2.copy(), b2.copy()
        meta = {"config": args.config, "config_hash": chash, "use_bevpool": spec.use_bevpool,
                "lidar_type": spec.lidar_type, "preset": cfg["demo"]["preset"], "epoch": epoch,
                "bev_side": spec.S, "image_size": spec.image_size, "seed": seed,
                "format": "bevlite-ckpt-1"}
        path = os.path.join(run_dir, f"epoch_{epoch}.pth")
        train_state = {"params": [x.copy() for x in params], "mom": [x.copy() for x in mom],
                       "vel": [x.copy() for x in vel], "step": step, "rng": rng.bit_generator.state,
                       "cells": [c.copy() for c in cells]}
        save_checkpoint(path, state, meta, train_state)
        latest = os.path.join(run_dir, "latest.pth")
        shutil.copyfile(path, f"{latest}.tmp")
        os.replace(f"{latest}.tmp", latest)
        log(f"saved {path} (sha256 {hashlib.sha256(open(path, 'rb').read()).hexdigest()[:12]})")
        stop.exit_if_set(log, run_dir, epoch, f"after epoch {epoch}")
    log(f"done in {time.time() - t0:.1f}s -> {os.path.join(run_dir, 'latest.pth')}")


if __name__ == "__main__":
    main()
