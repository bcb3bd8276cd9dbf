"""Small file-format helpers: PNG (zlib+struct, no Pillow), KITTI calib/label text, safe pickles."""
from __future__ import annotations

import io
import os
import pickle
import struct
import sys
import zlib

import numpy as np


def write_png(path: str, rgb: np.ndarray) -> None:
    """Write an 8-bit RGB PNG (filter type 0 on every row; deterministic bytes)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[r].astype(np.uint8).tobytes() for r in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def read_png(path: str) -> np.ndarray:
    """Read an 8-bit RGB/RGBA PNG (all five row filters supported). Returns uint8 [H,W,3]."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG file")
    pos, idat, w = 8, [], 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        tag, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if tag == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                raise ValueError(f"{path}: only 8-bit RGB/RGBA PNG is supported")
            bpp = 3 if ctype == 2 else 4
        elif tag == b"IDAT":
            idat.append(body)
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(h, 1 + w * bpp)
    filters, rows = raw[:, 0], raw[:, 1:].astype(np.int32)
    out = np.zeros_like(rows)
    for r in range(h):
        cur, prev = rows[r].copy(), (out[r - 1] if r else np.zeros(w * bpp, np.int32))
        ft = filters[r]
        if ft == 0:
            pass
        elif ft == 2:
            cur = (cur + prev) & 255
        else:  # Sub, Average, Paeth need left neighbours: sequential
            for i in range(w * bpp):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                if ft == 1:
                    p = a
                elif ft == 3:
                    p = (a + b) // 2
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[i] = (cur[i] + p) & 255
        out[r] = cur
    return out.reshape(h, w, bpp)[:, :, :3].astype(np.uint8)


def read_kitti_calib(path: str) -> dict[str, np.ndarray]:
    out = {}
    with open(path) as f:
        for line in f:
            if ":" in line:
                k, v = line.split(":", 1)
                out[k.strip()] = np.array([float(x) for x in v.split()], np.float64)
    return out


def velo_to_rect(calib: dict[str, np.ndarray]) -> np.ndarray:
    """4x4 matrix R0_rect @ Tr_velo_to_cam (LiDAR -> rectified camera)."""
    r0 = np.eye(4)
    r0[:3, :3] = calib["R0_rect"].reshape(3, 3)
    tr = np.eye(4)
    tr[:3, :4] = calib["Tr_velo_to_cam"].reshape(3, 4)
    return r0 @ tr


class _SafeUnpickler(pickle.Unpickler):
    """Restricted unpickler (builtins/collections/numpy only), like Intel's info loaders."""

    ALLOWED = ("builtins", "collections", "numpy", "numpy.core.multiarray", "numpy._core.multiarray",
               "numpy.core.numeric", "numpy._core.numeric", "copyreg", "_codecs")

    def find_class(self, module, name):
        if module in self.ALLOWED or module.startswith("numpy."):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"forbidden global {module}.{name}")


def load_pkl(path: str):
    with open(path, "rb") as f:
        return _SafeUnpickler(f).load()


def save_pkl(path: str, obj) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    buf = io.BytesIO()
    pickle.dump(obj, buf, protocol=4)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def die(msg: str, code: int = 2) -> None:
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(code)
