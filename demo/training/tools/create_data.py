#!/usr/bin/env python3
"""Info-file generation for KITTI (mirrors mmdet3d **v1.x** `tools/create_data.py kitti`, node K1).

    python tools/create_data.py kitti --root-path R --out-dir O --extra-tag kitti

Writes `O/<tag>_infos_{train,val,trainval,test}.pkl` in the v1.x schema
`{metainfo: {categories, dataset, info_version}, data_list: [...]}` with `sample_idx`,
`images.CAM2.{img_path, lidar2cam, cam2img, lidar2img, height, width}`, `lidar_points.lidar_path`
and `instances[].{bbox, bbox_label, bbox_3d (camera frame, bottom centre, l h w ry), bbox_label_3d,
depth, center_2d, num_lidar_pts, truncated, occluded, alpha, difficulty}`. Only builtins and
numpy scalars go into the pickles. Not mirrored: gt_database/ and dbinfos (GT sampling is not used
by the demo model), velodyne_reduced/, `--with-plane`.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bevlite.io import die, read_kitti_calib, read_png, save_pkl, velo_to_rect  # noqa: E402

CATEGORIES = {"Pedestrian": 0, "Cyclist": 1, "Car": 2, "Van": 3, "Truck": 4, "Person_sitting": 5, "Tram": 6, "Misc": 7}


def png_size(path: str) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    return int.from_bytes(head[20:24], "big"), int.from_bytes(head[16:20], "big")  # (height, width)


def info_for(root: str, fid: str, with_labels: bool) -> dict:
    tr = os.path.join(root, "training")
    calib = read_kitti_calib(os.path.join(tr, "calib", fid + ".txt"))
    lidar2cam = velo_to_rect(calib)
    cam2img = np.eye(4)
    cam2img[:3, :4] = calib["P2"].reshape(3, 4)
    h, w = png_size(os.path.join(tr, "image_2", fid + ".png"))
    info = {
        "sample_idx": int(fid),
        "images": {"CAM2": {"img_path": fid + ".png", "height": h, "width": w,
                            "cam2img": cam2img.tolist(), "lidar2cam": lidar2cam.tolist(),
                            "lidar2img": (cam2img @ lidar2cam).tolist()},
                   "R0_rect": np.pad(calib["R0_rect"].reshape(3, 3), ((0, 1), (0, 1))).tolist()},
        "lidar_points": {"num_pts_feats": 4, "lidar_path": fid + ".bin",
                         "Tr_velo_to_cam": np.vstack([calib["Tr_velo_to_cam"].reshape(3, 4), [0, 0, 0, 1]]).tolist(),
                         "Tr_imu_to_velo": np.vstack([calib["Tr_imu_to_velo"].reshape(3, 4), [0, 0, 0, 1]]).tolist()},
        "instances": [],
        "plane": None,
    }
    if not with_labels:
        return info
    pts = np.fromfile(os.path.join(tr, "velodyne", fid + ".bin"), np.float32).reshape(-1, 4)
    pts_cam = pts[:, :3] @ lidar2cam[:3, :3].T + lidar2cam[:3, 3]
    with open(os.path.join(tr, "label_2", fid + ".txt")) as f:
        for k, line in enumerate(l for l in f.read().splitlines() if l.strip()):
            p = line.split()
            cls = p[0]
            h3, w3, l3 = (float(x) for x in p[8:11])
            loc = [float(x) for x in p[11:14]]
            ry = float(p[14])
            # points inside the box (camera frame: y down, bottom centre at loc)
            d = pts_cam - loc
            c, s = np.cos(ry), np.sin(ry)
            lx, lz = c * d[:, 0] - s * d[:, 2], s * d[:, 0] + c * d[:, 2]
            inside = (np.abs(lx) <= l3 / 2) & (np.abs(lz) <= w3 / 2) & (d[:, 1] <= 0) & (d[:, 1] >= -h3)
            ctr = cam2img[:3, :3] @ np.array([loc[0], loc[1] - h3 / 2, loc[2]])
            info["instances"].append({
                "bbox": [float(x) for x in p[4:8]], "bbox_label": CATEGORIES.get(cls, -1),
                "bbox_3d": loc + [l3, h3, w3, ry], "bbox_label_3d": CATEGORIES.get(cls, -1),
                "depth": float(loc[2]), "center_2d": [float(ctr[0] / ctr[2]), float(ctr[1] / ctr[2])],
                "num_lidar_pts": int(inside.sum()), "difficulty": 0, "truncated": float(p[1]),
                "occluded": int(p[2]), "alpha": float(p[3]), "score": 0.0, "index": k, "group_id": k})
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description="Create mmdet3d v1.x KITTI info files (demo subset).")
    ap.add_argument("dataset", help="dataset name; only 'kitti' is supported by the demo")
    ap.add_argument("--root-path", default="./data/kitti")
    ap.add_argument("--out-dir", default="./data/kitti")
    ap.add_argument("--extra-tag", default="kitti")
    ap.add_argument("--version", default="v1.0")
    ap.add_argument("--with-plane", action="store_true")
    args = ap.parse_args()
    if args.dataset != "kitti":
        die(f"dataset {args.dataset!r} is not supported by the demo (only 'kitti')")
    if args.with_plane:
        die("--with-plane is not supported by the demo (no road planes in the synthetic data)")
    sets = os.path.join(args.root_path, "ImageSets")
    if not os.path.isdir(os.path.join(args.root_path, "training")) or not os.path.isdir(sets):
        die(f"{args.root_path} is not a KITTI root (needs training/ and ImageSets/)")
    os.makedirs(args.out_dir, exist_ok=True)
    for split in ("train", "val", "trainval", "test"):
        with open(os.path.join(sets, split + ".txt")) as f:
            ids = [l.strip() for l in f if l.strip()]
        data_list = [info_for(args.root_path, fid, with_labels=split != "test") for fid in ids]
        out = os.path.join(args.out_dir, f"{args.extra_tag}_infos_{split}.pkl")
        save_pkl(out, {"metainfo": {"categories": dict(CATEGORIES), "dataset": "kitti", "info_version": "1.1"},
                       "data_list": data_list})
        print(f"{split}: {len(data_list)} samples -> {out}")


if __name__ == "__main__":
    main()
