#!/usr/bin/env bash
# Run the demo chain by hand (Pipeline B x KITTI, then Pipeline A x KITTI) in a scratch copy of
# demo/training, with cwd = that copy (the role of T). For checking the toolchain itself; bevbuild
# drives the same commands through its rules.
#
#   demo/run_chain.sh [WORKDIR]        (default: a new mktemp -d)
# Env: BEV_PY (default ~/bevlite-bev/bin/python), OV_PY (default ~/bevlite-ov/bin/python),
#      FRAMES (40), N_CALIB (12), N_VAL (8)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="${1:-$(mktemp -d /tmp/bevlite-chain.XXXXXX)}"
BEV_PY="${BEV_PY:-$HOME/bevlite-bev/bin/python}"
OV_PY="${OV_PY:-$HOME/bevlite-ov/bin/python}"
FRAMES="${FRAMES:-40}"; N_CALIB="${N_CALIB:-12}"; N_VAL="${N_VAL:-8}"
mkdir -p "$WORK/T"
# copy the sources only (*.py, *.yaml), never outputs of earlier in-place runs
(cd "$HERE/training" && find bevlite configs tools export -path '*/__pycache__' -prune -o \
   \( -name '*.py' -o -name '*.yaml' \) -print0 | tar --null -T - -cf -) | tar -C "$WORK/T" -xf -
cd "$WORK/T"
export NNCF_OV_DEVICE=CPU
TIMES="$WORK/timings.txt"; : > "$TIMES"
step() {  # step NAME cmd...
  local name="$1"; shift
  echo; echo "### $name: $*"
  local t0; t0=$(date +%s.%N)
  "$@"
  local t1; t1=$(date +%s.%N)
  printf '%-28s %6.1f s\n' "$name" "$(echo "$t1 - $t0" | bc)" | tee -a "$TIMES"
}
FAILED=""
CB=configs/Kitti/det/centerhead/secfpn/camera+lidar/resnet34/bevpoolv2.yaml
CK=work_dirs/Kitti/bevpoolv2/latest.pth
GEO=export/geometry_kitti; CAL=export/calib_voxels_kitti; UO=export/bevfusion_unified_kitti.onnx
CA=configs/Kitti/det/centerhead/lssfpn/camera+pointpillar/resnet34/default.yaml
CKA=work_dirs/Kitti/pp/latest.pth; OD=export/onnx/pointpillars/kitti

step dataset      "$BEV_PY" tools/make_synthetic_dataset.py --out-dir data/kitti --variant kitti --num-frames "$FRAMES" --seed 0
step infos        "$BEV_PY" tools/create_data.py kitti --root-path data/kitti --out-dir data/kitti --extra-tag kitti
step v2x-format   "$BEV_PY" tools/convert_kitti_to_v2x_format.py --src-root data/kitti --dst-root data/kitti-v2x
# ---- Pipeline B
step B-train      "$BEV_PY" tools/train.py "$CB" --run-dir work_dirs/Kitti/bevpoolv2 --no-dist
step B-recall     "$BEV_PY" tools/eval_recall.py "$CB" "$CK" --split val --quiet
step B-geometry   "$BEV_PY" export/precompute_geometry.py "$CB" "$CK" --from-dataset --split val --sample-idx 0 -o "$GEO"
step B-export     "$BEV_PY" export/export_unified_onnx.py "$CB" "$CK" --geometry-dir "$GEO" -o "$UO"
step B-dump       "$BEV_PY" export/dump_voxels.py "$CB" "$CK" -o "$CAL" --num-frames $((N_CALIB + N_VAL)) --split val
rm -f "$CAL/_pseudo_gt.npz"
step B-pseudo-gt  "$OV_PY" -u export/quantize_unified.py --stage pseudo-gt --config "$CB" --n-calib "$N_CALIB" --n-val "$N_VAL" \
                  --device CPU --model-fp32 "$UO" --geo-dir "$GEO" --calib-dir "$CAL" --pseudo-gt-cache "$CAL/_pseudo_gt.npz"
step B-quantize   "$OV_PY" -u export/quantize_unified.py --stage quantize --config "$CB" --n-calib "$N_CALIB" --n-val "$N_VAL" \
                  --plain-ptq --preset mixed --activation-range histogram --device CPU --model-fp32 "$UO" --geo-dir "$GEO" \
                  --calib-dir "$CAL" --pseudo-gt-cache "$CAL/_pseudo_gt.npz" --output deploy/kitti/second/bevfusion_unified_int8.xml
step B-compare    "$OV_PY" tools/compare_int8.py --config "$CB" --unified-fp32 "$UO" --unified-int8 deploy/kitti/second/bevfusion_unified_int8.xml \
                  --geo-dir "$GEO" --calib-dir "$CAL" || FAILED="$FAILED B-compare"
# ---- Pipeline A
step A-train      "$BEV_PY" tools/train.py "$CA" --run-dir work_dirs/Kitti/pp --no-dist
step A-recall     "$BEV_PY" tools/eval_recall.py "$CA" "$CKA" --split val --quiet
step A-export-all "$BEV_PY" export/pointpillars/export_all.py --config "$CA" --ckpt "$CKA" --out-dir "$OD"
step A-pfe-v7000  "$BEV_PY" export/pointpillars/export-lidar.py --config "$CA" --ckpt "$CKA" --fixed-v 7000 --split val -o "$OD/lidar_pfe_v7000.onnx"
step A-quantize   "$OV_PY" export/pointpillars/quantize_all.py --config "$CA" --ckpt "$CKA" --onnx-dir "$OD" --out-dir "$OD" --num-samples "$N_CALIB"
step A-dump-bev   "$BEV_PY" export/pointpillars/dump_head_inputs.py --config "$CA" --ckpt "$CKA" -o export/head_inputs_kitti --num-frames $((FRAMES / 2)) --split val
step A-compare    "$OV_PY" tools/compare_int8.py --config "$CA" --split-dir "$OD" --head-inputs export/head_inputs_kitti || FAILED="$FAILED A-compare"
echo; echo "=== timings ($WORK)"; cat "$TIMES"
awk '{s+=$(NF-1)} END {printf "total %.1f s\n", s}' "$TIMES"
if [ -n "$FAILED" ]; then echo "INT8 != FP32 box counts in:$FAILED"; exit 1; fi
