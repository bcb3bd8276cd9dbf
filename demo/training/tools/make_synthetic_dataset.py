#!/usr/bin/env python3
"""Write a small synthetic dataset in the KITTI 3D-object layout (demo-only tool).

Stands in for the external downloads of the real chain: KITTI (`<KITTI_RAW>`, node K0) and the
DAIR-V2X-I KITTI mirror (`data/dair-v2x-i-kitti`, node V2). Layout:

    OUT/training/{velodyne/<id>.bin, image_2/<id>.png, calib/<id>.txt, label_2/<id>.txt}
    OUT/ImageSets/{train,val,trainval,test}.txt

Points are float32 (x, y, z, intensity) in the LiDAR frame: a noisy ground plane, cars and
pedestrians as box-shaped point clusters, and a few low bushes as distractors. Images are PNGs with
a coloured blob where each object projects (cars red, pedestrians blue, bushes green). Object
centres sit near the centre of a 0.8 m BEV cell (jitter +-0.2 m) and are kept > 3 m apart so
detections are unambiguous. Output bytes depend only on the arguments (byte-identical reruns).
"""
from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bevlite.io import die, write_png  # noqa: E402

VARIANTS = {
    # pc_range, image W,H, focal, principal point, camera pitch (deg, +down), ground z, #ground pts
    "kitti": dict(pc_range=(0.0, -40.0, -5.0, 80.0, 40.0, 3.0), img_wh=(640, 192), f=372.0,
                  cxy=(320.0, 88.0), pitch=0.0, ground_z=-1.73, n_ground=6000, fov_slope=0.75),
    "dair-v2x-i-kitti": dict(pc_range=(0.0, -51.2, -5.0, 102.4, 51.2, 3.0), img_wh=(384, 216), f=250.0,
                             cxy=(192.0, 108.0), pitch=6.0, ground_z=-4.5, n_ground=5500, fov_slope=0.7),
}
CELL = 0.8  # BEV cell size of every preset (voxel 0.1 x out_size_factor 8)
SIZES = {"Car": (4.2, 1.8, 1.6), "Pedestrian": (0.7, 0.6, 1.75)}  # l, w, h (metres)
COLORS = {"Car": (205, 40, 40), "Pedestrian": (40, 70, 210), "Bush": (40, 160, 50)}
INTENSITY = {"Car": (0.55, 0.85), "Pedestrian": (0.25, 0.4), "Bush": (0.1, 0.2)}


def calib_matrices(v: dict) -> dict[str, np.ndarray]:
    """KITTI calibration: LiDAR (x fwd, y left, z up) -> camera (x right, y down, z fwd)."""
    axes = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])
    p = math.radians(v["pitch"])  # rotate the camera down about its x axis
    pitch = np.array([[1.0, 0.0, 0.0], [0.0, math.cos(p), -math.sin(p)], [0.0, math.sin(p), math.cos(p)]])
    tr = np.zeros((3, 4))
    tr[:, :3] = pitch @ axes
    tr[:, 3] = [0.0, -0.08, -0.27]
    k = np.array([[v["f"], 0.0, v["cxy"][0]], [0.0, v["f"], v["cxy"][1]], [0.0, 0.0, 1.0]])
    ps = []
    for bx in (0.0, -0.54, 0.06, -0.48):  # stereo baselines like KITTI's P0..P3
        pm = np.zeros((3, 4))
        pm[:, :3] = k
        pm[0, 3] = bx * v["f"]
        ps.append(pm)
    imu = np.array([[1.0, 0.0, 0.0, -0.81], [0.0, 1.0, 0.0, 0.32], [0.0, 0.0, 1.0, -0.80]])
    return {"P0": ps[0], "P1": ps[1], "P2": ps[2], "P3": ps[3], "R0_rect": np.eye(3),
            "Tr_velo_to_cam": tr, "Tr_imu_to_velo": imu, "K": k}


def place_objects(rng: np.random.Generator, v: dict) -> list[dict]:
    x0, y0, _, x1, y1, _ = v["pc_range"]
    objs: list[dict] = []
    want = [("Car", int(rng.integers(5, 10))), ("Pedestrian", int(rng.integers(3, 7))), ("Bush", int(rng.integers(2, 5)))]
    for cls, n in want:
        tries = 0
        while n > 0 and tries < 500:
            tries += 1
            i = int(rng.integers(int(10 / CELL), int((x1 - x0 - 6) / CELL)))
            j = int(rng.integers(int(4 / CELL), int((y1 - y0 - 4) / CELL)))
            x = x0 + CELL * (i + 0.5) + rng.uniform(-0.2, 0.2)
            y = y0 + CELL * (j + 0.5) + rng.uniform(-0.2, 0.2)
            if abs(y) > v["fov_slope"] * x - 1.5:  # keep inside the camera frustum (labels are FOV-only)
                continue
            min_d = 6.5 if cls == "Car" else 3.5
            if any(math.hypot(x - o["x"], y - o["y"]) < (6.5 if "Car" in (cls, o["cls"]) else min_d) for o in objs):
                continue
            if cls == "Bush":
                l = w = rng.uniform(0.8, 1.2)
                h = rng.uniform(0.5, 0.9)
            else:
                l, w, h = (s * rng.uniform(0.93, 1.07) for s in SIZES[cls])
            yaw = rng.uniform(-math.pi / 2, math.pi / 2)
            objs.append(dict(cls=cls, x=x, y=y, z=v["ground_z"] + h / 2, l=l, w=w, h=h, yaw=yaw))
            n -= 1
    return objs


def object_points(rng: np.random.Generator, o: dict) -> np.ndarray:
    d = math.hypot(o["x"], o["y"])
    n = int(np.clip((3000 if o["cls"] == "Car" else 900) / d, 60 if o["cls"] == "Car" else 25, 200 if o["cls"] == "Car" else 80))
    u = rng.uniform(-0.5, 0.5, (n, 3)) * [o["l"], o["w"], o["h"]]
    face = rng.integers(0, 5, n)  # push 80 % of the points onto a side or the top face
    shell = rng.random(n) < 0.8
    u[shell & (face == 0), 0] = o["l"] / 2
    u[shell & (face == 1), 0] = -o["l"] / 2
    u[shell & (face == 2), 1] = o["w"] / 2
    u[shell & (face == 3), 1] = -o["w"] / 2
    u[shell & (face == 4), 2] = o["h"] / 2
    c, s = math.cos(o["yaw"]), math.sin(o["yaw"])
    pts = np.stack([o["x"] + c * u[:, 0] - s * u[:, 1], o["y"] + s * u[:, 0] + c * u[:, 1], o["z"] + u[:, 2]], 1)
    inten = rng.uniform(*INTENSITY[o["cls"]], n)
    return np.concatenate([pts, inten[:, None]], 1)


def box_corners(o: dict) -> np.ndarray:
    c, s = math.cos(o["yaw"]), math.sin(o["yaw"])
    out = []
    for dx in (-0.5, 0.5):
        for dy in (-0.5, 0.5):
            for dz in (-0.5, 0.5):
                lx, ly = dx * o["l"], dy * o["w"]
                out.append([o["x"] + c * lx - s * ly, o["y"] + s * lx + c * ly, o["z"] + dz * o["h"]])
    return np.array(out)


def to_cam(pts: np.ndarray, cal: dict) -> np.ndarray:
    return pts @ cal["Tr_velo_to_cam"][:, :3].T + cal["Tr_velo_to_cam"][:, 3]


def render(rng: np.random.Generator, v: dict, cal: dict, objs: list[dict]) -> tuple[np.ndarray, dict]:
    w, h = v["img_wh"]
    img = np.empty((h, w, 3), np.float64)
    horizon = int(v["cxy"][1] - v["f"] * math.tan(math.radians(v["pitch"])))
    img[:] = (150, 150, 145)
    img[: max(horizon, 0)] = (170, 190, 210)
    boxes2d = {}
    for k in sorted(range(len(objs)), key=lambda k: -math.hypot(objs[k]["x"], objs[k]["y"])):  # far first
        cam = to_cam(box_corners(objs[k]), cal)
        if (cam[:, 2] < 0.5).any():
            continue
        uv = cam[:, :2] / cam[:, 2:3] * v["f"] + np.array(v["cxy"])
        u0, v0 = np.clip(uv.min(0), 0, [w - 1, h - 1])
        u1, v1 = np.clip(uv.max(0), 0, [w - 1, h - 1])
        boxes2d[k] = (u0, v0, u1, v1)
        img[int(v0):int(v1) + 1, int(u0):int(u1) + 1] = COLORS[objs[k]["cls"]]
    img += rng.normal(0.0, 4.0, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), boxes2d


def fmt(m: np.ndarray) -> str:
    return " ".join(f"{x:.12e}" for x in m.reshape(-1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--variant", choices=sorted(VARIANTS), default="kitti")
    ap.add_argument("--num-frames", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.num_frames < 2:
        die("--num-frames must be >= 2 (train and val need one frame each)")
    v = VARIANTS[args.variant]
    cal = calib_matrices(v)
    for sub in ("velodyne", "image_2", "calib", "label_2"):
        os.makedirs(os.path.join(args.out_dir, "training", sub), exist_ok=True)
    os.makedirs(os.path.join(args.out_dir, "ImageSets"), exist_ok=True)
    x0, y0, _, x1, y1, _ = v["pc_range"]
    n_obj = 0
    for idx in range(args.num_frames):
        fid = f"{idx:06d}"
        rng = np.random.default_rng([args.seed, idx])
        objs = place_objects(rng, v)
        ground = np.stack([rng.uniform(x0 + 0.5, x1 - 0.05, v["n_ground"]), rng.uniform(y0 + 0.05, y1 - 0.05, v["n_ground"]),
                           v["ground_z"] + rng.normal(0.0, 0.03, v["n_ground"]), rng.uniform(0.02, 0.15, v["n_ground"])], 1)
        pts = np.concatenate([ground] + [object_points(rng, o) for o in objs]).astype(np.float32)
        pts.tofile(os.path.join(args.out_dir, "training", "velodyne", fid + ".bin"))
        img, boxes2d = render(rng, v, cal, objs)
        write_png(os.path.join(args.out_dir, "training", "image_2", fid + ".png"), img)
        with open(os.path.join(args.out_dir, "training", "calib", fid + ".txt"), "w") as f:
            for key in ("P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"):
                f.write(f"{key}: {fmt(cal[key])}\n")
        lines = []
        for k, o in enumerate(objs):
            if o["cls"] == "Bush" or k not in boxes2d:
                continue
            bottom = to_cam(np.array([[o["x"], o["y"], o["z"] - o["h"] / 2]]), cal)[0]
            ry = -o["yaw"] - math.pi / 2  # LiDAR yaw -> camera rotation_y (mmdet3d convention)
            ry = (ry + math.pi) % (2 * math.pi) - math.pi
            alpha = ry - math.atan2(bottom[0], bottom[2])
            u0, v0, u1, v1 = boxes2d[k]
            lines.append(f"{o['cls']} 0.00 0 {alpha:.2f} {u0:.2f} {v0:.2f} {u1:.2f} {v1:.2f} "
                         f"{o['h']:.2f} {o['w']:.2f} {o['l']:.2f} {bottom[0]:.2f} {bottom[1]:.2f} {bottom[2]:.2f} {ry:.2f}")
            n_obj += 1
        with open(os.path.join(args.out_dir, "training", "label_2", fid + ".txt"), "w") as f:
            f.write("\n".join(lines) + ("\n" if lines else ""))
    ids = [f"{i:06d}" for i in range(args.num_frames)]
    n_train = args.num_frames // 2
    splits = {"train": ids[:n_train], "val": ids[n_train:], "trainval": ids,
              "test": ids[n_train:]}  # no testing/ sensor data: test lists the val ids
    for name, lst in splits.items():
        with open(os.path.join(args.out_dir, "ImageSets", name + ".txt"), "w") as f:
            f.write("\n".join(lst) + "\n")
    print(f"wrote {args.num_frames} frames ({n_train} train / {args.num_frames - n_train} val, "
          f"{n_obj} labelled objects) to {args.out_dir} [variant {args.variant}, seed {args.seed}]")


if __name__ == "__main__":
    main()
