"""Which onnxruntime execution providers an ONNX session uses: CUDA when it is really there.

Every ONNX loader in dhcore asks this one function, so a GPU host (onnxruntime-gpu installed and
a GPU visible) runs the ONNX stages on its GPU and every other host on the CPU, with no setting.
`DH_ONNX_DEVICE=cpu` pins a GPU host's ONNX stages to the CPU (e.g. to leave the GPU to diffusion).
"""

from __future__ import annotations

import os

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


def onnx_providers() -> list[str]:
    import onnxruntime as ort

    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    hidden = visible is not None and visible.strip() in ("", "-1")
    if (
        os.environ.get("DH_ONNX_DEVICE", "auto") != "cpu"
        and not hidden
        and CUDA in ort.get_available_providers()
    ):
        return [CUDA, CPU]
    return [CPU]
