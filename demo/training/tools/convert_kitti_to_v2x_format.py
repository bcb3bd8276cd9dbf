#!/usr/bin/env python3
"""Convert a KITTI root + mmdet3d v1.x infos to the V2X layout (mirrors T/tools/convert_kitti_to_v2x_format.py).

    python tools/convert_kitti_to_v2x_format.py --src-root <KITTI_RAW> --dst-root data/kitti-v2x

Writes under dst: symlinks `image -> src/training/image_2`, `velodyne -> src/training/velodyne`,
`training/{image_2,velodyne,label_2,calib,velodyne_reduced}` and `testing/{...}` (only where the
source exists; absolute targets; existing links replaced, real directories skipped with a WARNING),
`calib/virtuallidar_to_camera/<frame>.json` = {"rotation": 3x3, "translation": 3x1} of
R0_rect @ Tr_velo_to_cam, and `kitti_infos_<split>.pkl` as a flat list of V2X-style dicts.
Like the real tool, a source pkl that is already a list is skipped without writing.

Deviation: the real tool stores `ann_infos[].rotation` as a pyquaternion.Quaternion object; the
demo stores the same quaternion as a plain list [w, x, y, z] so restricted unpicklers accept it.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bevlite.io import die, load_pkl, read_kitti_calib, save_pkl, velo_to_rect  # noqa: E402

CAT_MAP = {"Car": "car", "Van": "car", "Truck": "truck", "Tram": "bus", "Pedestrian": "pedestrian",
           "Person_sitting": "pedestrian", "Cyclist": "bicycle"}  # Misc / DontCare dropped


def link(src: str, dst: str) -> None:
    if not os.path.exists(src):
        return
    if os.path.islink(dst):
        os.unlink(dst)
    elif os.path.exists(dst):
        print(f"WARNING: {dst} exists and is not a symlink; skipped")
        return
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    os.symlink(os.path.abspath(src), dst)


def convert_info(info: dict, calib_dir: str) -> dict:
    fid = f"{info['sample_idx']:06d}"
    lidar2cam = velo_to_rect(read_kitti_calib(os.path.join(calib_dir, fid + ".txt")))
    cam2lidar = np.linalg.inv(lidar2cam)
    cam2 = info["images"]["CAM2"]
    ts = 1000000 + int(info["sample_idx"])
    anns = []
    for inst in info.get("instances", []):
        cls = {v: k for k, v in {"Pedestrian": 0, "Cyclist": 1, "Car": 2, "Van": 3, "Truck": 4,
                                  "Person_sitting": 5, "Tram": 6, "Misc": 7}.items()}.get(inst["bbox_label_3d"])
        if cls not in CAT_MAP:
            continue
        x, y, z, l, h, w, ry = inst["bbox_3d"]
        bottom = cam2lidar @ np.array([x, y, z, 1.0])
        centre = bottom[:3] + np.array([0.0, 0.0, h / 2])  # KITTI: lidar z up, bottom -> gravity centre
        yaw = -ry - math.pi / 2
        yaw = (yaw + math.pi) % (2 * math.pi) - math.pi
        anns.append({"category_name": CAT_MAP[cls], "translation": centre.tolist(), "size": [w, l, h],
                     # plain [w, x, y, z] list instead of pyquaternion.Quaternion (see module docstring)
                     "rotation": [math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)],
                     "yaw_lidar": yaw, "velocity": [0.0, 0.0], "num_lidar_pts": inst.get("num_lidar_pts", 0),
                     "instance_token": f"{fid}_{inst.get('index', 0)}", "prev": "", "next": ""})
    return {
        "sample_token": "image/" + cam2["img_path"],
        "timestamp": ts, "scene_token": fid,
        "cam_infos": {"CAM_FRONT": {"filename": "image/" + cam2["img_path"], "timestamp": ts,
                                    "height": cam2["height"], "width": cam2["width"],
                                    "calibrated_sensor": {"camera_intrinsic": np.array(cam2["cam2img"])[:3, :3].tolist()}}},
        "lidar_infos": {"LIDAR_TOP": {"filename": "velodyne/" + info["lidar_points"]["lidar_path"], "timestamp": ts}},
        "ann_infos": anns,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description="Convert KITTI infos to the V2X format.")
    ap.add_argument("--src-root", default="data/kitti")
    ap.add_argument("--dst-root", default="data/kitti-v2x")
    args = ap.parse_args()
    src, dst = args.src_root, args.dst_root
    if not os.path.isdir(os.path.join(src, "training", "calib")):
        die(f"{src}/training/calib not found (is --src-root a KITTI root?)")
    os.makedirs(dst, exist_ok=True)
    link(os.path.join(src, "training", "image_2"), os.path.join(dst, "image"))
    link(os.path.join(src, "training", "velodyne"), os.path.join(dst, "velodyne"))
    for part, subs in (("training", ("image_2", "velodyne", "label_2", "calib", "velodyne_reduced")),
                       ("testing", ("image_2", "velodyne", "calib", "velodyne_reduced"))):
        for s in subs:
            link(os.path.join(src, part, s), os.path.join(dst, part, s))
    calib_dir = os.path.join(src, "training", "calib")
    jdir = os.path.join(dst, "calib", "virtuallidar_to_camera")
    os.makedirs(jdir, exist_ok=True)
    n = 0
    for name in sorted(os.listdir(calib_dir)):
        if name.endswith(".txt"):
            m = velo_to_rect(read_kitti_calib(os.path.join(calib_dir, name)))
            with open(os.path.join(jdir, name[:-4] + ".json"), "w") as f:
                json.dump({"rotation": m[:3, :3].tolist(), "translation": m[:3, 3:4].tolist()}, f)
            n += 1
    print(f"calib: {n} virtuallidar_to_camera json files")
    found = False
    for split in ("train", "val", "trainval", "test"):
        p = os.path.join(src, f"kitti_infos_{split}.pkl")
        if not os.path.isfile(p):
            continue
        found = True
        data = load_pkl(p)
        if isinstance(data, list):
            print(f"{p}: already a list (V2X format?) - skipped")
            continue
        out = [convert_info(i, calib_dir) for i in data["data_list"]]
        save_pkl(os.path.join(dst, f"kitti_infos_{split}.pkl"), out)
        print(f"{split}: {len(out)} samples -> {os.path.join(dst, f'kitti_infos_{split}.pkl')}")
    if not found:
        die(f"no kitti_infos_<split>.pkl under {src} (run tools/create_data.py kitti first)")


if __name__ == "__main__":
    main()
