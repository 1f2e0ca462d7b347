"""Identity refinement with insightface's inswapper_128.onnx, run from a local file.

Inputs: `target` [1,3,128,128] (the frame's face aligned to the ArcFace-128 template, RGB in
[0, 1]) and `source` [1,512] (the reference's unit ArcFace embedding mapped through the
model's `emap` matrix, the last initializer in the graph, then re-normalised). The output
[1,3,128,128] RGB in [0, 1] is pasted back through a feathered box mask.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from dhcore.errors import ModelError
from dhcore.face.align import box_mask, paste_back, warp_face
from dhcore.face.onnx_check import FLOAT, check_output, open_session
from dhcore.face.swap import SwapResult

SIZE = 128


def read_emap(path: Path) -> np.ndarray:
    """The [512, 512] embedding map stored as the model's last initializer."""
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # noqa: BLE001 - protobuf decode errors have no common base
        raise ModelError(f"{path}: not a readable ONNX model ({exc})") from exc
    if not model.graph.initializer:
        raise ModelError(f"{path}: no initializers, so no emap matrix: not inswapper_128")
    emap = numpy_helper.to_array(model.graph.initializer[-1])
    if emap.shape != (512, 512):
        raise ModelError(f"{path}: the last initializer is {emap.shape}, inswapper's emap is (512, 512)")
    return emap.astype(np.float32)


class InSwapper:
    name = "inswapper"

    def __init__(self, path: Path, source_embedding: np.ndarray) -> None:
        what = "inswapper_128 (target [1,3,128,128] + source [1,512])"
        self.session = open_session(path, [((1, 3, SIZE, SIZE), FLOAT), ((1, 512), FLOAT)], what)
        check_output(self.session, path, (1, 3, SIZE, SIZE), "inswapper_128")
        self.names = [i.name for i in self.session.get_inputs()]
        emb = np.asarray(source_embedding, np.float32).reshape(1, -1)
        if emb.shape[1] != 512:
            raise ValueError(f"inswapper needs a 512-d ArcFace embedding, got {emb.shape[1]}-d")
        emb = emb / max(1e-12, float(np.linalg.norm(emb)))
        latent = emb @ read_emap(path)
        self.latent = (latent / max(1e-12, float(np.linalg.norm(latent)))).astype(np.float32)
        self.mask = box_mask(SIZE, margin=0.1, blur=0.1)

    def swap_crop(self, crop: np.ndarray) -> np.ndarray:
        blob = (crop.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
        out = self.session.run(None, {self.names[0]: np.ascontiguousarray(blob), self.names[1]: self.latent})[
            0
        ]
        return np.clip(out[0].transpose(1, 2, 0) * 255.0 + 0.5, 0, 255).astype(np.uint8)

    def __call__(self, frame: np.ndarray, kps: np.ndarray, weight: float = 1.0) -> SwapResult:
        crop, m = warp_face(frame, kps, "arcface", SIZE)
        out = paste_back(frame, self.swap_crop(crop), m, self.mask, weight)
        return SwapResult(out, np.any(out != frame, axis=2))
