"""ONNX graph builders for the demo exports (standard ONNX ops only, so stock OpenVINO CPU runs them).

The real exports trace PyTorch (and, for Pipeline B, emit the custom ops BevPoolV2 /
SparseConvolution / SparseToDense of Intel's patched OpenVINO). Here each block is written with
onnx.helper and reproduces bevlite.model op by op:

  camera   AveragePool(16) -> 1x1 Conv + Relu (camera_feature), 1x1 Conv + Softmax (depth weights)
  bevpool  Gather(depth, indices) * Gather(feature, indices % fH*fW); per-point rank = interval
           rank[integer CumSum of interval-start marks - 1]; ScatterND(add) into the BEV canvas
           (rank -1 sentinels -> a dump row that is sliced off)
  lidar B  Slice(z, intensity) -> MatMul + Add + Relu -> ScatterND(add) on (x//8)*S + y//8
  PFE (A)  Slice -> MatMul + Add + Relu -> mask (Range < num_voxels) -> ReduceMax over points
  fuser    Concat -> Log(x + 1) -> kxk Conv + Relu ; head: 1x1 Conv -> Slice per output
Node names carry the real prefixes (`cam/`, `lidar/`, `post/`); the BEV pool and the scatter sit
under `cam/BevPoolV2/` and `lidar/sparse_to_dense/` so quantizers can ignore them by pattern.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from . import model as M


class G:
    """Tiny graph-builder: unique node names, initializers, value infos."""

    def __init__(self):
        self.nodes, self.inits, self.n = [], [], 0

    def const(self, name: str, arr) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str, outputs: list[str] | None = None, **attrs) -> str:
        self.n += 1
        outs = outputs or [f"{name}_out"]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=name, **attrs))
        return outs[0]

    def model(self, inputs, outputs, opset: int, doc: str, meta: dict | None = None) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, "bevlite", inputs, outputs, self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="bevlite")
        m.ir_version = 8
        m.doc_string = doc
        for k, v in (meta or {}).items():
            m.metadata_props.append(onnx.StringStringEntryProto(key=k, value=str(v)))
        onnx.checker.check_model(m)
        return m


def tensor(name: str, shape: list, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def i64(*v):
    return np.array(v, np.int64)


def camera(g: G, p: dict, spec: M.Spec, img: str, prefix: str = "cam") -> tuple[str, str]:
    x = img
    H, W = spec.image_size
    if H != spec.fH * 16 or W != spec.fW * 16:  # AvgPool floors anyway; slice keeps it explicit
        x = g.op("Slice", [x, g.const(f"{prefix}/crop_s", i64(0, 0)), g.const(f"{prefix}/crop_e", i64(spec.fH * 16, spec.fW * 16)),
                           g.const(f"{prefix}/crop_a", i64(2, 3))], f"{prefix}/crop")
    x = g.op("AveragePool", [x], f"{prefix}/backbone/pool", kernel_shape=[16, 16], strides=[16, 16])
    wf = g.const(f"{prefix}/feat.w", p["cam.feat.weight"][:, :, None, None].astype(np.float32))
    bf = g.const(f"{prefix}/feat.b", p["cam.feat.bias"].astype(np.float32))
    f = g.op("Conv", [x, wf, bf], f"{prefix}/vtransform/feat_conv")
    feat = g.op("Relu", [f], f"{prefix}/vtransform/feat_relu", outputs=[f"{prefix}_feature" if prefix != "cam" else "cam/feature"])
    wd = g.const(f"{prefix}/depth.w", p["cam.depth.weight"][:, :, None, None].astype(np.float32))
    bd = g.const(f"{prefix}/depth.b", p["cam.depth.bias"].astype(np.float32))
    d = g.op("Conv", [x, wd, bd], f"{prefix}/vtransform/depth_conv")
    depth = g.op("Softmax", [d], f"{prefix}/vtransform/depth_softmax", axis=1)
    return feat, depth


def bevpool(g: G, spec: M.Spec, feat: str, depth: str, indices: str, intervals: str) -> str:
    n = "cam/BevPoolV2"
    hw, C, S = spec.fH * spec.fW, spec.Cc, spec.S
    ff = g.op("Reshape", [feat, g.const(f"{n}/fshape", i64(C, hw))], f"{n}/feat_reshape")
    ff = g.op("Transpose", [ff], f"{n}/feat_t", perm=[1, 0])
    df = g.op("Reshape", [depth, g.const(f"{n}/dshape", i64(-1))], f"{n}/depth_flat")
    idx = g.op("Cast", [indices], f"{n}/idx64", to=TensorProto.INT64)
    dsel = g.op("Gather", [df, idx], f"{n}/depth_gather", axis=0)
    pix = g.op("Mod", [idx, g.const(f"{n}/hw", i64(hw))], f"{n}/pixel")
    fsel = g.op("Gather", [ff, pix], f"{n}/feat_gather", axis=0)
    dsel = g.op("Unsqueeze", [dsel, g.const(f"{n}/ax1", i64(1))], f"{n}/depth_unsq")
    prod = g.op("Mul", [fsel, dsel], f"{n}/outer")
    # per-point BEV rank from the intervals: mark each interval start, integer CumSum -> interval id
    # (exact in any inference precision; a float CumSum over all points breaks in bf16/f16)
    iv = g.op("Cast", [intervals], f"{n}/iv64", to=TensorProto.INT64)
    col = lambda k: g.op("Gather", [iv, g.const(f"{n}/c{k}", np.array(k, np.int64))], f"{n}/iv_col{k}", axis=1)  # noqa: E731
    start, rank = col(0), col(2)
    zeros_p = g.op("ConstantOfShape", [g.op("Shape", [idx], f"{n}/p_shape")], f"{n}/zeros_p", value=helper.make_tensor("v0", TensorProto.INT64, [1], [0]))
    ones_i = g.op("ConstantOfShape", [g.op("Shape", [start], f"{n}/i_shape")], f"{n}/ones_i", value=helper.make_tensor("v1", TensorProto.INT64, [1], [1]))
    marks = g.op("ScatterND", [zeros_p, g.op("Unsqueeze", [start, g.const(f"{n}/ax_s", i64(1))], f"{n}/start_unsq"), ones_i], f"{n}/marks")
    seg = g.op("Sub", [g.op("CumSum", [marks, g.const(f"{n}/ax0", np.array(0, np.int64))], f"{n}/cumsum"), g.const(f"{n}/one", np.array(1, np.int64))],
               f"{n}/interval_id")
    neg = g.op("Less", [rank, g.const(f"{n}/zero", np.array(0, np.int64))], f"{n}/is_sentinel")
    rank = g.op("Where", [neg, g.const(f"{n}/dump", np.array(S * S, np.int64)), rank], f"{n}/rank_fix")
    prank = g.op("Gather", [rank, seg], f"{n}/point_rank", axis=0)
    prank = g.op("Unsqueeze", [prank, g.const(f"{n}/ax_1", i64(1))], f"{n}/rank_unsq")
    base = g.const(f"{n}/canvas", np.zeros((S * S + 1, C), np.float32))
    bev = g.op("ScatterND", [base, prank, prod], f"{n}/scatter", reduction="add")
    bev = g.op("Slice", [bev, g.const(f"{n}/s0", i64(0)), g.const(f"{n}/s1", i64(S * S)), g.const(f"{n}/sa", i64(0))], f"{n}/drop_dump")
    bev = g.op("Transpose", [bev], f"{n}/bev_t", perm=[1, 0])
    return g.op("Reshape", [bev, g.const(f"{n}/bshape", i64(1, C, S, S))], f"{n}/bev")


def lidar_sparse(g: G, p: dict, spec: M.Spec, vf: str, vi: str) -> str:
    S = spec.S
    x = g.op("Slice", [vf, g.const("lidar/s_st", i64(2)), g.const("lidar/s_en", i64(4)), g.const("lidar/s_ax", i64(1))], "lidar/zi")
    h = g.op("MatMul", [x, g.const("lidar/enc.w", p["lidar.encoder.weight"].astype(np.float32))], "lidar/encoder/matmul")
    h = g.op("Add", [h, g.const("lidar/enc.b", p["lidar.encoder.bias"].astype(np.float32))], "lidar/encoder/add")
    h = g.op("Relu", [h], "lidar/encoder/relu")
    n = "lidar/sparse_to_dense"
    ii = g.op("Cast", [vi], f"{n}/idx64", to=TensorProto.INT64)
    xi = g.op("Gather", [ii, g.const(f"{n}/c3", np.array(3, np.int64))], f"{n}/x", axis=1)
    yi = g.op("Gather", [ii, g.const(f"{n}/c2", np.array(2, np.int64))], f"{n}/y", axis=1)
    osf = g.const(f"{n}/osf", np.array(spec.osf, np.int64))
    rank = g.op("Add", [g.op("Mul", [g.op("Div", [xi, osf], f"{n}/row"), g.const(f"{n}/S", np.array(S, np.int64))], f"{n}/row_off"),
                        g.op("Div", [yi, osf], f"{n}/col")], f"{n}/rank")
    rank = g.op("Unsqueeze", [rank, g.const(f"{n}/ax", i64(1))], f"{n}/rank_unsq")
    base = g.const(f"{n}/canvas", np.zeros((S * S, spec.Cl), np.float32))
    bev = g.op("ScatterND", [base, rank, h], f"{n}/scatter", reduction="add")
    bev = g.op("Transpose", [bev], f"{n}/bev_t", perm=[1, 0])
    return g.op("Reshape", [bev, g.const(f"{n}/shape", i64(1, spec.Cl, S, S))], f"{n}/bev")


def pfe(g: G, p: dict, spec: M.Spec, feats: str, num: str, coors: str) -> str:
    P = spec.max_num_points
    zi = g.op("Slice", [feats, g.const("pfe/s_st", i64(2)), g.const("pfe/s_en", i64(4)), g.const("pfe/s_ax", i64(2))], "pfe/zi")
    xy = g.op("Slice", [feats, g.const("pfe/xy_st", i64(0)), g.const("pfe/xy_en", i64(2)), g.const("pfe/xy_ax", i64(2))], "pfe/xy")
    # pillar centres from coors (batch, x_idx, y_idx, z_idx): idx * voxel + (min + voxel / 2)
    cxy = g.op("Gather", [coors, g.const("pfe/c12", i64(1, 2))], "pfe/coors_xy", axis=1)
    cxy = g.op("Cast", [cxy], "pfe/coors_f", to=TensorProto.FLOAT)
    vs = np.array(spec.voxel_size[:2], np.float32)
    off = np.array(spec.pc_range[:2], np.float32) + vs / 2
    cxy = g.op("Add", [g.op("Mul", [cxy, g.const("pfe/vs", vs)], "pfe/centre_scale"), g.const("pfe/off", off)], "pfe/centre")
    cxy = g.op("Unsqueeze", [cxy, g.const("pfe/ax1c", i64(1))], "pfe/centre_unsq")
    d = g.op("Sub", [xy, cxy], "pfe/offsets")
    x = g.op("Concat", [zi, d], "pfe/augment", axis=2)
    h = g.op("MatMul", [x, g.const("pfe/linear.w", p["lidar.encoder.weight"].astype(np.float32))], "pfe/linear/matmul")
    h = g.op("Add", [h, g.const("pfe/linear.b", p["lidar.encoder.bias"].astype(np.float32))], "pfe/linear/add")
    h = g.op("Relu", [h], "pfe/relu")
    ar = g.const("pfe/arange", np.arange(P, dtype=np.int32)[None, :])
    mask = g.op("Less", [ar, g.op("Unsqueeze", [num, g.const("pfe/ax1", i64(1))], "pfe/num_unsq")], "pfe/mask")
    mask = g.op("Unsqueeze", [g.op("Cast", [mask], "pfe/mask_f", to=TensorProto.FLOAT), g.const("pfe/ax2", i64(2))], "pfe/mask_unsq")
    h = g.op("Mul", [h, mask], "pfe/masked")
    return g.op("ReduceMax", [h], "pfe/max", outputs=["pillar_features"], axes=[1], keepdims=0)


def fuser(g: G, p: dict, spec: M.Spec, cam_bev: str, lidar_bev: str, out: str | None = None) -> str:
    x = g.op("Concat", [cam_bev, lidar_bev], "post/fuser/concat", axis=1)
    x = g.op("Log", [g.op("Add", [x, g.const("post/fuser/one", np.array(1.0, np.float32))], "post/fuser/plus1")], "post/fuser/log1p")
    k = spec.k
    x = g.op("Conv", [x, g.const("post/fuser.w", p["fuser.weight"].astype(np.float32)), g.const("post/fuser.b", p["fuser.bias"].astype(np.float32))],
             "post/fuser/conv", pads=[k // 2] * 4, kernel_shape=[k, k])
    return g.op("Relu", [x], "post/fuser/relu", outputs=[out] if out else None)


def head(g: G, p: dict, middle: str, names: list[str]) -> list[str]:
    w = p["head.weight"]
    y = g.op("Conv", [middle, g.const("post/head.w", w[:, :, None, None].astype(np.float32)), g.const("post/head.b", p["head.bias"].astype(np.float32))],
             "post/head/conv")
    c, outs = 0, []
    for t in range(2):
        for (part, n) in M.TASK_OUTPUTS:
            name = names[len(outs)]
            g.op("Slice", [y, g.const(f"post/head/{name}_s", i64(c)), g.const(f"post/head/{name}_e", i64(c + n)), g.const(f"post/head/{name}_a", i64(1))],
                 f"post/head/{name}", outputs=[name])
            outs.append(name)
            c += n
    return outs


UNIFIED_OUTPUTS = [f"task{t}_{n}" for t in range(2) for n, _ in M.TASK_OUTPUTS]
SPLIT_HEAD_OUTPUTS = ["score", "reg", "height", "dim", "rot", "vel", "score2", "reg2", "height2", "dim2", "rot2", "vel2"]


def head_output_infos(names: list[str], S) -> list:
    sizes = [n for _ in range(2) for _, n in M.TASK_OUTPUTS]
    return [tensor(nm, [1, c, S, S]) for nm, c in zip(names, sizes)]
