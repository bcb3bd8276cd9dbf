"""indices.bin / intervals.bin readers and writers (format of export/precompute_geometry.py)."""
from __future__ import annotations

import os

import numpy as np

from .io import die


def write_bins(out_dir: str, indices: np.ndarray, intervals: np.ndarray) -> None:
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "indices.bin"), "wb") as f:
        f.write(np.uint32(len(indices)).tobytes() + indices.astype("<u4").tobytes())
    with open(os.path.join(out_dir, "intervals.bin"), "wb") as f:
        f.write(np.uint32(len(intervals)).tobytes() + intervals.astype("<i4").tobytes())


def read_bins(geo_dir: str) -> tuple[np.ndarray, np.ndarray]:
    """Returns (indices int32 [P], intervals int32 [I,3]) ready to feed the unified model."""
    out = []
    for name, width, dt in (("indices.bin", 1, "<u4"), ("intervals.bin", 3, "<i4")):
        path = os.path.join(geo_dir, name)
        if not os.path.isfile(path):
            die(f"missing {path} (run export/precompute_geometry.py)")
        raw = np.fromfile(path, np.uint8)
        n = int(raw[:4].view("<u4")[0])
        body = raw[4:].view(dt)
        if body.size != n * width:
            die(f"{path}: header says {n} entries, file holds {body.size // width}")
        out.append(body.reshape(n, width) if width > 1 else body)
    return out[0].astype(np.int32), out[1].astype(np.int32)
