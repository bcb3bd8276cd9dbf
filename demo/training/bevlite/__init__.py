"""bevlite: the miniature, CPU-only, numpy model + data stack behind bevbuild's demo toolchain.

It mirrors the parts of Intel's Intermediate-Fusion training tree (mmdet3d + torchpack) that the
build tool observes: config chain and interpolation, dataset layout and info pickles, checkpoint
files, ONNX I/O contracts, calibration dumps and CenterHead post-processing.
"""

from bevlite.pinned import pin_openvino, pin_process

# Before any numbers are computed: same environment on every machine (see pinned.py).
pin_process()
pin_openvino()
