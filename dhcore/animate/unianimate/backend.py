"""The `unianimate` animation backend (dhcore.animate.base.Backend).

Loads the release from the model registry, renders the reference photo's pose as the reference
skeleton, and streams frames to a FrameWriter file. Conditioning: the rendered target skeleton
(`inputs.skeleton`, at the output size).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from dhcore.animate.animate_anyone.backend import _read_image, resolve_device, resolve_dtype
from dhcore.animate.animate_anyone.conditioning import FrameStreams
from dhcore.animate.base import AnimateInputs
from dhcore.animate.frames_out import write_frames
from dhcore.animate.unianimate.components import ModelIds, Parts, load
from dhcore.animate.unianimate.config import ARCHITECTURES
from dhcore.animate.unianimate.params import UniAnimateParams
from dhcore.animate.unianimate.pipeline import RunSettings, animate
from dhcore.errors import InputError
from dhcore.media.frames import iter_frames
from dhcore.media.geometry import photo_fit
from dhcore.models import registry
from dhcore.pool import POOL
from dhcore.pose.keypoints import PoseSequence
from dhcore.pose.render import render_frame
from dhcore.stage import Progress, StageParams, StageResult, as_params

#: three stride-2 levels: the latent (size / 8) must halve three times
SIZE_MULTIPLE = 64


def reference_skeleton(pose_path: Path, width: int, height: int) -> np.ndarray:
    """The reference photo's pose drawn like the target skeletons, placed as the photo is (photo_fit)."""
    pose = PoseSequence.load(pose_path)
    if len(pose) < 1:
        raise InputError(f"{pose_path}: the reference pose has no frame")
    fit = photo_fit(pose.width, pose.height, width, height)

    def mapped(points: np.ndarray) -> np.ndarray:
        out = points.copy()
        out[..., :2] = fit.to_output_normalized(points[..., :2])
        return out

    moved = pose.replace(body=mapped(pose.body), hands=mapped(pose.hands), face=mapped(pose.face),
                         width=width, height=height)  # fmt: skip
    return render_frame(moved, 0, width, height)


class UniAnimateBackend:
    name: ClassVar[str] = "unianimate"
    version: ClassVar[str] = "1"
    device: ClassVar[str] = "auto"
    Params: ClassVar[type[StageParams]] = UniAnimateParams

    def _params(self, params: StageParams | dict) -> UniAnimateParams:
        return as_params(UniAnimateParams, params)  # type: ignore[return-value]

    def ids(self, params: UniAnimateParams) -> ModelIds:
        return ModelIds(params.model, params.sd21, params.clip)

    def model_ids(self, params: StageParams) -> list[str]:
        return self.ids(self._params(params)).all()

    def parts(self, params: UniAnimateParams, dtype: torch.dtype) -> Parts:
        ids = self.ids(params)
        key = (ids, params.architecture, str(dtype), tuple(registry.weights_sha256(i) for i in ids.all()))
        # one animation model set warm at a time: a second one replaces the first in the pool's slot
        return POOL.get(key, lambda: load(ARCHITECTURES[params.architecture], ids, dtype), slot="animate")

    def run(
        self, inputs: AnimateInputs, params: StageParams, out_path: Path, progress: Progress
    ) -> StageResult:
        p = self._params(params)
        w, h = inputs.width, inputs.height
        if w % SIZE_MULTIPLE or h % SIZE_MULTIPLE:
            raise InputError(
                f"unianimate needs width and height that are multiples of {SIZE_MULTIPLE} (got {w}x{h}); "
                f"use e.g. {max(64, w // 64 * 64)}x{max(64, h // 64 * 64)}"
            )
        if inputs.skeleton is None:
            raise InputError("unianimate needs the rendered skeleton frames (inputs.skeleton is missing)")
        frames = len(PoseSequence.load(inputs.target_pose))
        if frames < 1:
            raise InputError(f"{inputs.target_pose}: has no frames")
        device = resolve_device(p.device)
        dtype = resolve_dtype(p.dtype, device)
        image = _read_image(inputs.reference_image, w, h)
        ref_pose = reference_skeleton(inputs.reference_pose, w, h)
        parts = self.parts(p, dtype)
        settings = RunSettings(
            p.steps, p.guidance_scale, p.window, p.overlap, p.window_batch, inputs.seed, p.noise, p.noise_prior,
            p.noise_strength, p.decode_chunk,
        )  # fmt: skip
        streams = FrameStreams({"pose": (inputs.skeleton, iter_frames(inputs.skeleton))}, (w, h))
        return write_frames(
            "unianimate", out_path, inputs.fps, (w, h), frames,
            lambda write: animate(parts, image, ref_pose, streams, frames, settings, device, write, progress),
            f"with window {p.window} and window_batch {p.window_batch}; lower animate.params.window_batch "
            "(then window, decode_chunk), or the size",
            lambda stats: {"unet_calls": float(stats.unet_calls), "windows": float(stats.windows)},
        )  # fmt: skip


BACKENDS: dict[str, type[UniAnimateBackend]] = {UniAnimateBackend.name: UniAnimateBackend}
