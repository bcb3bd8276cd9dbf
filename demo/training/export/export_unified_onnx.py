#!/usr/bin/env python3
"""Export the unified Pipeline-B model to one ONNX file (mirrors T/export/export_unified_onnx.py).

    python export/export_unified_onnx.py CONFIG CKPT --geometry-dir DIR [-o OUT] [--batch-size 1] [--output-bound 80000]

Inputs:  img [1,3,H,W] f32, indices [P] i32, intervals [I,3] i32, voxel_features [N,4] f32,
         voxel_indices [N,4] i32 (batch, z, y, x)      (P, I, N dynamic)
Outputs: task{0,1}_{heatmap [1,5,h,w], reg [1,2,h,w], height [1,1,h,w], dim [1,3,h,w],
         rot [1,2,h,w], vel [1,2,h,w]}
Standard ONNX ops only (opset 17, for ScatterND reduction='add'): the BEVPoolV2 / SparseConvolution /
SparseToDense custom ops of the real export are replaced by the equivalent Gather/CumSum/ScatterND
subgraphs (see bevlite/onnx_export.py), so stock OpenVINO CPU runs the file.
Like the real tool the three parts are first written to the fixed scratch dir
`<T>/export/_tmp_unified/{camera,lidar,postfusion}.onnx` (deleted at the end: concurrent exports
collide) and the default output is `<T>/export/bevfusion_unified.onnx`. Unlike the real tool (which
emits BevPoolV2 for any checkpoint) a checkpoint not trained with use_bevpool=bevpoolv2 is refused
(exit 1). --output-bound is recorded in the metadata (no sparse convolutions to bound).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from bevlite import model as M  # noqa: E402
from bevlite import onnx_export as X  # noqa: E402
from bevlite.ckpt import load_checkpoint  # noqa: E402
from bevlite.config import load_or_exit  # noqa: E402
from bevlite.geometry import read_bins  # noqa: E402
from bevlite.io import die  # noqa: E402
from onnx import TensorProto  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description="Export the unified BEVFusion ONNX.")
    ap.add_argument("config")
    ap.add_argument("checkpoint")
    ap.add_argument("--output", "-o", default=None)
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--output-bound", type=int, default=80000)
    ap.add_argument("--geometry-dir", required=True)
    args = ap.parse_args()
    if args.batch_size != 1:
        die("--batch-size: the demo export supports batch size 1 only")
    cfg = load_or_exit(args.config)
    spec = M.Spec(cfg)
    if spec.lidar_type != "sparse":
        die(f"{args.config} is not a Pipeline-B (secfpn camera+lidar) config")
    p, meta = load_checkpoint(args.checkpoint, spec, require_bevpoolv2=True)
    indices, intervals = read_bins(args.geometry_dir)
    if len(indices) != spec.D * spec.fH * spec.fW:
        die(f"{args.geometry_dir}: {len(indices)} geometry points, the config needs D*fH*fW = {spec.D * spec.fH * spec.fW}")
    out = args.output or os.path.join(HERE, "bevfusion_unified.onnx")
    tmp = os.path.join(HERE, "_tmp_unified")
    os.makedirs(tmp, exist_ok=True)
    H, W, S = spec.image_size[0], spec.image_size[1], spec.S
    img_in = X.tensor("img", [1, 3, H, W])
    ind_in = X.tensor("indices", ["num_points"], TensorProto.INT32)
    itv_in = X.tensor("intervals", ["num_intervals", 3], TensorProto.INT32)
    vf_in = X.tensor("voxel_features", ["num_voxels", 4])
    vi_in = X.tensor("voxel_indices", ["num_voxels", 4], TensorProto.INT32)
    meta_props = {"batch_size": 1, "framework": "bevfusion", "config_hash": meta["config_hash"],
                  "output_bound": args.output_bound, "use_bevpool": meta["use_bevpool"]}

    # the three parts, as the real exporter writes them before merging
    g = X.G()
    f, d = X.camera(g, p, spec, "img")
    bev = X.bevpool(g, spec, f, d, "indices", "intervals")
    g.nodes.append(onnx.helper.make_node("Identity", [bev], ["cam_bev"], name="cam/out"))
    onnx.save(g.model([img_in, ind_in, itv_in], [X.tensor("cam_bev", [1, spec.Cc, S, S])], 17, "camera part"), os.path.join(tmp, "camera.onnx"))
    g = X.G()
    lb = X.lidar_sparse(g, p, spec, "voxel_features", "voxel_indices")
    g.nodes.append(onnx.helper.make_node("Identity", [lb], ["lidar_bev"], name="lidar/out"))
    onnx.save(g.model([vf_in, vi_in], [X.tensor("lidar_bev", [1, spec.Cl, S, S])], 17, "lidar part"), os.path.join(tmp, "lidar.onnx"))
    g = X.G()
    mid = X.fuser(g, p, spec, "cam_bev", "lidar_bev")
    X.head(g, p, mid, X.UNIFIED_OUTPUTS)
    onnx.save(g.model([X.tensor("cam_bev", [1, spec.Cc, S, S]), X.tensor("lidar_bev", [1, spec.Cl, S, S])],
                      X.head_output_infos(X.UNIFIED_OUTPUTS, S), 17, "postfusion part"), os.path.join(tmp, "postfusion.onnx"))

    # merge: one graph with all five inputs
    parts = [onnx.load(os.path.join(tmp, n)) for n in ("camera.onnx", "lidar.onnx", "postfusion.onnx")]
    nodes, inits = [], []
    for m in parts:
        nodes += list(m.graph.node)
        inits += list(m.graph.initializer)
    graph = onnx.helper.make_graph(nodes, "bevfusion_unified", [img_in, ind_in, itv_in, vf_in, vi_in],
                                   X.head_output_infos(X.UNIFIED_OUTPUTS, S), inits)
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)], producer_name="bevlite")
    model.ir_version = 8
    for k, v in meta_props.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=str(v)))
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    onnx.save(model, out)
    shutil.rmtree(tmp, ignore_errors=True)

    ops = {}
    for n in model.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    print("=" * 60)
    print(f"unified ONNX: {out}  ({os.path.getsize(out)} bytes, opset 17, standard ops only)")
    for vi in list(model.graph.input) + list(model.graph.output):
        dims = [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]
        kind = "in " if vi in model.graph.input else "out"
        print(f"  {kind} {vi.name:16s} {onnx.TensorProto.DataType.Name(vi.type.tensor_type.elem_type):6s} {dims}")
    print("  ops: " + ", ".join(f"{k}x{v}" for k, v in sorted(ops.items())))
    print(f"  checkpoint epoch {meta['epoch']}, config hash {meta['config_hash'][:12]}, use_bevpool {meta['use_bevpool']}")


if __name__ == "__main__":
    main()
