"""V2X-format dataset reading (stands in for mmdet3d's V2XDataset + the test pipeline).

`build_dataset(cfg, split)` returns the info list of `cfg.data[split]` (order kept, no shuffle);
`load_sample(cfg, info)` loads points, the network image, calibration and LiDAR-frame GT boxes.
Like V2XDataset it creates `./<result_root>/` (default `outputs/`) in cwd as a side effect.
"""
from __future__ import annotations

import json
import os

import numpy as np

from .io import die, load_pkl, read_png

CLASSES = ["car", "truck", "construction_vehicle", "bus", "trailer",
           "barrier", "motorcycle", "bicycle", "pedestrian", "traffic_cone"]
IMG_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMG_STD = np.array([0.229, 0.224, 0.225], np.float32)


def build_dataset(cfg: dict, split: str) -> list[dict]:
    if split not in cfg["data"]:
        die(f"config has no data.{split}")
    ann = cfg["data"][split]["ann_file"]
    if not os.path.isfile(ann):
        die(f"annotation file not found: {ann} (cwd {os.getcwd()})")
    os.makedirs(cfg.get("result_root", "outputs"), exist_ok=True)  # V2XDataset side effect
    infos = load_pkl(ann)
    if not isinstance(infos, list):
        die(f"{ann}: expected a V2X-format info list (run tools/convert_kitti_to_v2x_format.py)")
    return infos


def resize_image(img: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Area-average resize for integer factors, nearest otherwise (deterministic)."""
    h, w = hw
    sh, sw = img.shape[:2]
    if sh % h == 0 and sw % w == 0:
        fh, fw = sh // h, sw // w
        return img.reshape(h, fh, w, fw, 3).mean(axis=(1, 3))
    rows = ((np.arange(h) + 0.5) * sh / h).astype(int)
    cols = ((np.arange(w) + 0.5) * sw / w).astype(int)
    return img[rows][:, cols].astype(np.float32)


def load_sample(cfg: dict, info: dict) -> dict:
    root = cfg["dataset_root"]
    cam = info["cam_infos"]["CAM_FRONT"]
    lidar_file = info["lidar_infos"]["LIDAR_TOP"]["filename"]
    pts_path = os.path.join(root, lidar_file)
    img_path = os.path.join(root, cam["filename"])
    fid = os.path.splitext(os.path.basename(lidar_file))[0]
    calib_path = os.path.join(root, "calib", "virtuallidar_to_camera", fid + ".json")
    for p in (pts_path, img_path, calib_path):
        if not os.path.isfile(p):
            die(f"missing sensor file {p}")
    points = np.fromfile(pts_path, np.float32).reshape(-1, 4)
    raw = read_png(img_path).astype(np.float32)
    h, w = cfg["image_size"]
    img = resize_image(raw, (h, w)) / 255.0
    img = ((img - IMG_MEAN) / IMG_STD).transpose(2, 0, 1)[None].astype(np.float32)
    with open(calib_path) as f:
        c = json.load(f)
    lidar2cam = np.eye(4)
    lidar2cam[:3, :3] = np.array(c["rotation"])
    lidar2cam[:3, 3] = np.array(c["translation"]).reshape(3)
    k = np.array(cam["calibrated_sensor"]["camera_intrinsic"], np.float64)
    scale = np.diag([w / raw.shape[1], h / raw.shape[0], 1.0])  # img_aug_matrix (resize only)
    boxes, labels = [], []
    for a in info.get("ann_infos", []):
        if a["category_name"] not in CLASSES:
            continue
        wdt, lng, hgt = a["size"]
        boxes.append(list(a["translation"]) + [lng, wdt, hgt, a["yaw_lidar"]])
        labels.append(CLASSES.index(a["category_name"]))
    return {"fid": fid, "points": points, "img": img, "lidar2cam": lidar2cam, "cam2img": scale @ k,
            "gt_boxes": np.array(boxes, np.float64).reshape(-1, 7), "gt_labels": np.array(labels, np.int64)}
