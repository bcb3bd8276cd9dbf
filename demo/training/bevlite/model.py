"""The miniature BEVFusion model in numpy (the math every ONNX export reproduces op by op).

    camera:  img -> AvgPool16 -> 1x1 conv (colour features, ReLU)  -> camera_feature [Cc,fH,fW]
                              -> 1x1 conv -> softmax over D        -> camera_depth_weights [D,fH,fW]
             BEVPool (indices/intervals from a frozen frustum geometry) -> cam_bev [Cc,S,S]
    lidar B: voxels (0.1x0.1x0.2, mean-reduced) -> point-wise linear+ReLU -> sum-scatter into the
             0.8 m BEV grid (stands in for SECOND's sparse convs + SparseToDense) -> lidar_bev [Cl,S,S]
    lidar A: pillars (0.8 m, <=100 points) -> PFE linear+ReLU, masked max -> scatter -> lidar_bev
    fuser:   concat -> log1p -> kxk conv + ReLU -> middle [hidden,S,S]  (trained; log1p squeezes the
             heavy-tailed point sums into a range an INT8 per-tensor quantizer keeps intact)
    head:    1x1 conv -> per task heatmap 5, reg 2, height 1, dim 3, rot 2, vel 2 (trained)

BEV layout follows the deploy decoder: row = x cell, col = y cell, 0.8 m cells.
The camera colour encoder and the voxel/pillar encoders are fixed feature extractors; the depth
prior, the input normalisation and the fuser+head are fitted on the train split (tools/train.py).
"""
from __future__ import annotations

import numpy as np

CELL = 0.8
TASK_OUTPUTS = [("heatmap", 5), ("reg", 2), ("height", 1), ("dim", 3), ("rot", 2), ("vel", 2)]
PER_TASK = sum(n for _, n in TASK_OUTPUTS)
HEIGHT_STEPS = [0.25, 0.6, 1.0, 1.4, 1.8]


class Spec:
    """Shapes and constants of one config (everything the exporters need)."""

    def __init__(self, cfg: dict):
        m = cfg["model"]
        demo = cfg["demo"]
        self.cfg = cfg
        self.pc_range = [float(x) for x in cfg["point_cloud_range"]]
        self.S = int(demo["bev_side"])
        vt = m["encoders"]["camera"]["vtransform"]
        self.image_size = [int(x) for x in vt["image_size"]]
        self.fH, self.fW = (int(x) for x in vt["feature_size"])
        self.dbound = [float(x) for x in vt["dbound"]]
        self.D = int(round((self.dbound[1] - self.dbound[0]) / self.dbound[2]))
        self.xbound, self.ybound, self.zbound = vt["xbound"], vt["ybound"], vt["zbound"]
        self.use_bevpool = vt.get("use_bevpool", "bevpoolv1")
        lid = m["encoders"]["lidar"]
        self.lidar_type = "pillar" if lid["backbone"]["type"] == "PointPillarsEncoder" else "sparse"
        self.voxel_size = [float(x) for x in lid["voxelize"]["voxel_size"]]
        self.max_num_points = int(lid["voxelize"]["max_num_points"])
        self.max_voxels = int(lid["voxelize"]["max_voxels"][1])
        if self.lidar_type == "sparse":
            self.grid = [int(x) for x in lid["backbone"]["sparse_shape"]]  # x, y, z
            self.osf = self.grid[0] // self.S
        self.Cc, self.Cl = int(demo["cam_channels"]), int(demo["lidar_channels"])
        if self.lidar_type == "pillar":
            self.Cl += 2  # + in-pillar extent channels (see point_encoder_weights)
        self.hidden, self.k = int(demo["hidden"]), int(demo["kernel"])
        self.ground_z = float(demo["ground_z"])
        head = m["heads"]["object"]
        self.post_center_range = [float(x) for x in head["bbox_coder"]["post_center_range"]]
        self.cfg_score_threshold = float(head["bbox_coder"]["score_threshold"])
        self.deploy_score_threshold = float(demo["deploy_score_threshold"])


# ------------------------------------------------------------------------------------ camera
def camera_forward(p: dict, img: np.ndarray, spec: Spec) -> tuple[np.ndarray, np.ndarray]:
    x = img[0, :, : spec.fH * 16, : spec.fW * 16].reshape(3, spec.fH, 16, spec.fW, 16).mean(axis=(2, 4))
    feat = np.maximum(np.einsum("oc,chw->ohw", p["cam.feat.weight"], x) + p["cam.feat.bias"][:, None, None], 0)
    logit = np.einsum("oc,chw->ohw", p["cam.depth.weight"], x) + p["cam.depth.bias"][:, None, None]
    e = np.exp(logit - logit.max(0, keepdims=True))
    return feat.astype(np.float32), (e / e.sum(0, keepdims=True)).astype(np.float32)


def frustum_ranks(spec: Spec, lidar2cam: np.ndarray, cam2img: np.ndarray) -> np.ndarray:
    """BEV rank (row*S+col) of every frustum point d*fH*fW + h*fW + w; -1 outside the grid."""
    d = spec.dbound[0] + (np.arange(spec.D) + 0.5) * spec.dbound[2]
    v = np.arange(spec.fH) * 16 + 8.0
    u = np.arange(spec.fW) * 16 + 8.0
    dd, vv, uu = np.meshgrid(d, v, u, indexing="ij")
    pix = np.stack([uu * dd, vv * dd, dd], -1).reshape(-1, 3)
    cam = pix @ np.linalg.inv(cam2img[:3, :3]).T
    cam2lidar = np.linalg.inv(lidar2cam)
    pts = cam @ cam2lidar[:3, :3].T + cam2lidar[:3, 3]
    row = np.floor((pts[:, 0] - spec.xbound[0]) / spec.xbound[2]).astype(np.int64)
    col = np.floor((pts[:, 1] - spec.ybound[0]) / spec.ybound[2]).astype(np.int64)
    ok = (row >= 0) & (row < spec.S) & (col >= 0) & (col < spec.S) & (pts[:, 2] >= spec.zbound[0]) & (pts[:, 2] < spec.zbound[1])
    return np.where(ok, row * spec.S + col, -1)


def bevpool_tables(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """indices (points sorted by rank, stable) + intervals (start, end, rank); rank -1 sentinels kept."""
    order = np.argsort(ranks, kind="stable")
    r = ranks[order]
    starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
    ends = np.r_[starts[1:], len(r)]
    return order.astype(np.uint32), np.stack([starts, ends, r[starts]], 1).astype(np.int32)


def bev_pool(feat: np.ndarray, depth: np.ndarray, indices: np.ndarray, intervals: np.ndarray, S: int) -> np.ndarray:
    """Sum depth * feature of every frustum point into its interval's BEV cell (as the ONNX graph)."""
    C = feat.shape[0]
    hw = feat.shape[1] * feat.shape[2]
    idx = indices.astype(np.int64)
    vals = depth.reshape(-1)[idx][:, None].astype(np.float64) * feat.reshape(C, hw).T[idx % hw]
    seg = np.repeat(np.arange(len(intervals)), intervals[:, 1] - intervals[:, 0])
    rank = np.where(intervals[:, 2] < 0, S * S, intervals[:, 2])[seg]
    out = np.zeros((S * S + 1, C))
    np.add.at(out, rank, vals)
    return out[: S * S].T.reshape(C, S, S).astype(np.float32)


# ------------------------------------------------------------------------------------ lidar
def point_encoder_weights(spec: Spec) -> tuple[np.ndarray, np.ndarray]:
    """Fixed point/voxel encoder on (z, intensity[, dx, dy]): occupancy, heights above ground at 5
    steps, intensity (2). The pillar encoder adds the point offsets from the pillar centre
    (dx, dy, as PointPillars' x_p/y_p), max-pooled into in-pillar extents."""
    n_in = 4 if spec.lidar_type == "pillar" else 2
    w = np.zeros((n_in, spec.Cl), np.float32)
    b = np.zeros(spec.Cl, np.float32)
    b[0] = 1.0
    for i, t in enumerate(HEIGHT_STEPS):
        w[0, 1 + i] = 1.0
        b[1 + i] = -(spec.ground_z + t)
    w[1, 6], w[1, 7], b[7] = 1.0, 1.0, -0.45
    if n_in == 4:
        w[2, 8], w[3, 9] = 2.5, 2.5
    return w, b


def in_range(spec: Spec, pts: np.ndarray) -> np.ndarray:
    r = spec.pc_range
    return pts[(pts[:, 0] >= r[0]) & (pts[:, 0] < r[3]) & (pts[:, 1] >= r[1]) & (pts[:, 1] < r[4]) & (pts[:, 2] >= r[2]) & (pts[:, 2] < r[5])]


def voxelize_sparse(spec: Spec, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hard voxelization with mean reduction: features [N,4] f32, indices [N,4] i32 (batch, z, y, x)."""
    pts = in_range(spec, points)
    r = spec.pc_range
    vs = spec.voxel_size
    ijk = np.floor((pts[:, :3] - r[:3]) / vs).astype(np.int64)  # x, y, z
    key = (ijk[:, 2] * spec.grid[1] + ijk[:, 1]) * spec.grid[0] + ijk[:, 0]
    uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")[: spec.max_voxels]  # voxels in first-seen order
    remap = np.full(len(uniq), -1)
    remap[order] = np.arange(len(order))
    vid = remap[inv]
    # keep at most max_num_points points per voxel (in point order), like the CUDA voxelizer
    keep = vid >= 0
    rank_in_voxel = np.zeros(len(pts), np.int64)
    srt = np.argsort(vid, kind="stable")
    sv = vid[srt]
    starts = np.r_[0, np.flatnonzero(sv[1:] != sv[:-1]) + 1]
    pos = np.arange(len(sv)) - np.repeat(starts, np.diff(np.r_[starts, len(sv)]))
    rank_in_voxel[srt] = pos
    keep &= rank_in_voxel < spec.max_num_points
    n = len(order)
    sums = np.zeros((n, 4))
    np.add.at(sums, vid[keep], pts[keep])
    cnt = np.bincount(vid[keep], minlength=n)[:, None]
    feats = (sums / cnt).astype(np.float32)
    xyz = ijk[first[order]]
    idx = np.stack([np.zeros(n, np.int64), xyz[:, 2], xyz[:, 1], xyz[:, 0]], 1).astype(np.int32)
    return feats, idx


def lidar_bev_sparse(p: dict, feats: np.ndarray, idx: np.ndarray, spec: Spec) -> np.ndarray:
    h = np.maximum(feats[:, 2:4] @ p["lidar.encoder.weight"] + p["lidar.encoder.bias"], 0)
    rank = (idx[:, 3] // spec.osf) * spec.S + idx[:, 2] // spec.osf
    out = np.zeros((spec.S * spec.S, h.shape[1]), np.float64)
    np.add.at(out, rank, h)
    return out.T.reshape(-1, spec.S, spec.S).astype(np.float32)


def voxelize_pillars(spec: Spec, points: np.ndarray, fixed_v: int = 0):
    """Pillars: features [V,P,4] (zero padded), num_voxels [V] i32, coors [V,4] i32 (batch, x, y, z)."""
    pts = in_range(spec, points)
    r = spec.pc_range
    ix = np.floor((pts[:, 0] - r[0]) / spec.voxel_size[0]).astype(np.int64)
    iy = np.floor((pts[:, 1] - r[1]) / spec.voxel_size[1]).astype(np.int64)
    key = ix * spec.S + iy
    uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")[: spec.max_voxels]
    remap = np.full(len(uniq), -1)
    remap[order] = np.arange(len(order))
    vid = remap[inv]
    V, P = len(order), spec.max_num_points
    feats = np.zeros((V, P, 4), np.float32)
    num = np.zeros(V, np.int32)
    for i in np.flatnonzero(vid >= 0):
        v = vid[i]
        if num[v] < P:
            feats[v, num[v]] = pts[i]
            num[v] += 1
    coors = np.stack([np.zeros(V), ix[first[order]], iy[first[order]], np.zeros(V)], 1).astype(np.int32)
    if fixed_v > 0:  # static V: zero-pad or truncate
        pad = max(fixed_v - V, 0)
        feats = np.concatenate([feats, np.zeros((pad, P, 4), np.float32)])[:fixed_v]
        num = np.concatenate([num, np.zeros(pad, np.int32)])[:fixed_v]
        coors = np.concatenate([coors, np.zeros((pad, 4), np.int32)])[:fixed_v]
    return feats, num, coors


def pfe_forward(p: dict, feats: np.ndarray, num: np.ndarray, coors: np.ndarray, spec: Spec) -> np.ndarray:
    """PillarFeatureNet: (z, i, x - pillar centre x, y - pillar centre y) -> linear+ReLU -> masked max."""
    cx = coors[:, 1].astype(np.float32) * spec.voxel_size[0] + (spec.pc_range[0] + spec.voxel_size[0] / 2)
    cy = coors[:, 2].astype(np.float32) * spec.voxel_size[1] + (spec.pc_range[1] + spec.voxel_size[1] / 2)
    x = np.concatenate([feats[:, :, 2:4], (feats[:, :, 0] - cx[:, None])[..., None], (feats[:, :, 1] - cy[:, None])[..., None]], 2)
    h = np.maximum(x @ p["lidar.encoder.weight"] + p["lidar.encoder.bias"], 0)
    mask = (np.arange(feats.shape[1])[None, :] < num[:, None]).astype(np.float32)
    return (h * mask[:, :, None]).max(1).astype(np.float32)


def pillar_scatter(pf: np.ndarray, coors: np.ndarray, num: np.ndarray, S: int) -> np.ndarray:
    out = np.zeros((pf.shape[1], S, S), np.float32)
    ok = num > 0
    out[:, coors[ok, 1], coors[ok, 2]] = pf[ok].T
    return out


# ------------------------------------------------------------------------------------ fuser + head
def patches(x: np.ndarray, k: int) -> np.ndarray:
    """[C,S,S] -> [S*S, C*k*k] rows in (c, dy, dx) order, i.e. what a kxk Conv with pad k//2 sees."""
    C, S, _ = x.shape
    xp = np.pad(x, ((0, 0), (k // 2, k // 2), (k // 2, k // 2)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(1, 2))  # C,S,S,k,k
    return np.ascontiguousarray(win.transpose(1, 2, 0, 3, 4)).reshape(S * S, C * k * k)


def fuser_forward(p: dict, bev_in: np.ndarray, spec: Spec) -> np.ndarray:
    w = p["fuser.weight"].reshape(p["fuser.weight"].shape[0], -1)
    mid = np.maximum(patches(np.log1p(bev_in), spec.k) @ w.T + p["fuser.bias"], 0)
    return mid.T.reshape(w.shape[0], spec.S, spec.S).astype(np.float32)


def head_forward(p: dict, middle: np.ndarray) -> dict[str, np.ndarray]:
    C, S, _ = middle.shape
    o = p["head.weight"] @ middle.reshape(C, -1) + p["head.bias"][:, None]
    out, c = {}, 0
    for t in range(2):
        for name, n in TASK_OUTPUTS:
            out[f"task{t}_{name}"] = o[c:c + n].reshape(1, n, S, S).astype(np.float32)
            c += n
    return out


def bev_inputs(p: dict, spec: Spec, sample: dict, geometry: tuple | None = None) -> np.ndarray:
    """cam_bev ++ lidar_bev for one sample; geometry = (indices, intervals) or per-sample calib."""
    feat, depth = camera_forward(p, sample["img"], spec)
    if geometry is None:
        geometry = bevpool_tables(frustum_ranks(spec, sample["lidar2cam"], sample["cam2img"]))
    cam_bev = bev_pool(feat, depth, geometry[0], geometry[1], spec.S)
    if spec.lidar_type == "sparse":
        lidar_bev = lidar_bev_sparse(p, *voxelize_sparse(spec, sample["points"]), spec)
    else:
        f, n, c = voxelize_pillars(spec, sample["points"])
        lidar_bev = pillar_scatter(pfe_forward(p, f, n, c, spec), c, n, spec.S)
    return np.concatenate([cam_bev, lidar_bev])


def full_forward(p: dict, spec: Spec, sample: dict, geometry: tuple | None = None) -> dict[str, np.ndarray]:
    return head_forward(p, fuser_forward(p, bev_inputs(p, spec, sample, geometry), spec))
