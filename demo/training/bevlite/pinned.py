"""Pins what would otherwise make the demo's numbers depend on the machine (imported by bevlite/__init__).

Every demo tool imports bevlite, usually after numpy. Thread counts and SIMD levels of numpy and
OpenBLAS are read once, when they load, from the environment and the CPU — so when the process
does not already run with the pinned environment, it sets it and re-executes itself (same pid,
same argv): the tool then runs exactly as on any other machine, whatever the user's shell or the
host's core count and CPU generation.

* Threads: 1 for OpenMP, OpenBLAS and MKL. OpenBLAS splits reductions (``dot``) across threads,
  so its results change with the thread count; GEMM does not, but one pin covers both.
* OpenBLAS kernels: ``OPENBLAS_CORETYPE=Haswell`` (AVX2). Its DYNAMIC_ARCH build otherwise picks a
  kernel per CPU (SkylakeX on AVX-512 machines), and kernels round differently.
* numpy SIMD: the AVX-512 (``X86_V4``) dispatch targets are disabled where the CPU has them, so
  ``exp``/``log1p``/``tanh`` run the AVX2 (``X86_V3``) loops every x86-64-v3 machine runs.
* ``PYTHONHASHSEED=0``: no set or dict of strings iterates differently between runs.

OpenVINO (quantization statistics, INT8 vs FP32 checks) compiles every CPU model with one thread
and one stream (``OV_CPU_THREADS``; the demo scripts already ask for f32). Its CPU kernels still follow the CPU's ISA (oneDNN has no
cap in release builds), which is why the INT8 IR is only count-identical across CPU generations
(demo/README.md, "Determinism").
"""
from __future__ import annotations

import os
import sys

PINNED_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_CORETYPE": "Haswell",
    "PYTHONHASHSEED": "0",
}
# numpy's dispatch targets above x86-64-v3; only those this CPU has may (and need to) be disabled.
_ABOVE_V3 = ("X86_V4", "AVX512_ICL", "AVX512_SPR")

#: Added to every OpenVINO CPU compilation that does not set them (the demo's and NNCF's own).
OV_CPU_THREADS = {"INFERENCE_NUM_THREADS": 1, "NUM_STREAMS": 1}


def pin_process() -> None:
    """Re-executes the process with the pinned environment unless it already runs with it."""
    if os.environ.get("BEVLITE_PINNED") == "1" and all(os.environ.get(k) == v for k, v in PINNED_ENV.items()):
        return
    import numpy

    have = getattr(getattr(numpy, "_core", None), "_multiarray_umath", None)
    have = getattr(have, "__cpu_features__", {})
    disable = " ".join(f for f in _ABOVE_V3 if have.get(f))
    os.environ.update(PINNED_ENV, BEVLITE_PINNED="1")
    if disable:
        os.environ["NPY_DISABLE_CPU_FEATURES"] = disable
    else:
        os.environ.pop("NPY_DISABLE_CPU_FEATURES", None)
    sys.stdout.flush()
    sys.stderr.flush()
    # orig_argv keeps interpreter flags (-u, -X ...); execv needs the interpreter's path first.
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


def pin_openvino() -> None:
    """Gives OpenVINO CPU compilations the pinned thread count unless they set one.

    NNCF compiles models itself (statistics collection, validation) with its own config; wrapping
    ``Core.compile_model`` is the one place that reaches those calls too.
    """
    try:
        import openvino as ov
    except ImportError:  # the bev toolchain has no OpenVINO
        return
    original = ov.Core.compile_model
    if getattr(original, "_bevlite_pinned", False):
        return

    def compile_model(self, model, device_name=None, config=None, **kw):
        if device_name == "CPU":
            config = {**OV_CPU_THREADS, **(config or {})}
        return original(self, model, device_name, config, **kw)

    compile_model._bevlite_pinned = True  # type: ignore[attr-defined]
    ov.Core.compile_model = compile_model
