"""The `magicanimate` animation backend (dhcore.animate.base.Backend).

Conditioning is a DensePose video the user supplies (`animate.guidance.densepose` in the spec;
no DensePose extractor ships with usable weights here): one frame per driving frame, the output's
aspect ratio, resized to the output size. The reference photo is cover-fitted to the output size.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import torch

from dhcore.animate.animate_anyone.backend import _check_size, _read_image, resolve_device, resolve_dtype
from dhcore.animate.animate_anyone.conditioning import FrameStreams
from dhcore.animate.animate_anyone.sampler import SamplerSettings
from dhcore.animate.base import AnimateInputs
from dhcore.animate.frames_out import write_frames
from dhcore.animate.magicanimate.components import Components, ModelIds, load_components
from dhcore.animate.magicanimate.config import densepose_size_problem
from dhcore.animate.magicanimate.params import MagicAnimateParams
from dhcore.animate.magicanimate.pipeline import RunSettings, animate
from dhcore.errors import DhError, InputError
from dhcore.media.frames import iter_frames, probe
from dhcore.models import registry
from dhcore.pool import POOL
from dhcore.pose.keypoints import PoseSequence
from dhcore.stage import Progress, StageParams, StageResult, as_params

DENSEPOSE = "densepose"


def densepose_stream(path: Path, frames: int, width: int, height: int) -> FrameStreams:
    """The DensePose frames, checked: one per driving frame, the output's aspect ratio."""
    try:
        info = probe(path, count_frames=True)
    except DhError as exc:
        raise InputError(f"{path}: cannot read the DensePose video ({exc})") from None
    if info.frames != frames:
        raise InputError(
            f"{path}: the DensePose video has {info.frames} frames, the driving motion {frames}; "
            f"render DensePose from the same driving video (one frame per driving frame)"
        )
    if problem := densepose_size_problem(info.width, info.height, width, height):
        raise InputError(f"{path}: {problem}")
    return FrameStreams({DENSEPOSE: (path, iter_frames(path))}, (width, height))


class MagicAnimateBackend:
    name: ClassVar[str] = "magicanimate"
    version: ClassVar[str] = "1"
    device: ClassVar[str] = "auto"
    Params: ClassVar[type[StageParams]] = MagicAnimateParams

    def _params(self, params: StageParams | dict) -> MagicAnimateParams:
        return as_params(MagicAnimateParams, params)  # type: ignore[return-value]

    def ids(self, params: MagicAnimateParams) -> ModelIds:
        return ModelIds(params.model, params.sd15, params.vae)

    def model_ids(self, params: StageParams) -> list[str]:
        return self.ids(self._params(params)).all()

    def components(self, params: MagicAnimateParams, dtype: torch.dtype) -> Components:
        ids = self.ids(params)
        key = (ids, str(dtype), tuple(registry.weights_sha256(i) for i in ids.all()))
        # one animation model set warm at a time: a second one replaces the first in the pool's slot
        return POOL.get(key, lambda: load_components(ids, dtype), slot="animate")

    def run(
        self, inputs: AnimateInputs, params: StageParams, out_path: Path, progress: Progress
    ) -> StageResult:
        p = self._params(params)
        _check_size(inputs.width, inputs.height)
        frames = len(PoseSequence.load(inputs.target_pose))
        if frames < 1:
            raise InputError(f"{inputs.target_pose}: has no frames")
        if DENSEPOSE not in inputs.guidance:
            raise InputError(
                "magicanimate needs a DensePose video of the driving motion: set animate.guidance.densepose"
            )
        streams = densepose_stream(inputs.guidance[DENSEPOSE], frames, inputs.width, inputs.height)
        device = resolve_device(p.device)
        dtype = resolve_dtype(p.dtype, device)
        image = _read_image(inputs.reference_image, inputs.width, inputs.height)
        parts = self.components(p, dtype)
        settings = RunSettings(
            SamplerSettings(p.steps, p.guidance_scale, p.window, p.overlap, p.closed_loop),
            seed=inputs.seed,
            noise=p.noise,
            release_nocfg_mask=p.release_nocfg_mask,
            decode_chunk=p.decode_chunk,
        )
        return write_frames(
            self.name, out_path, inputs.fps, (inputs.width, inputs.height), frames,
            lambda write: animate(parts, image, streams, frames, settings, device, write, progress),
            f"with window {p.window}; lower animate.params.window (then decode_chunk), or the output size",
            lambda stats: {
                "unet_calls": float(stats.unet_calls),
                "controlnet_calls": float(stats.controlnet_calls),
                "appearance_encoder_calls": float(stats.appearance_calls),
                "windows": float(stats.windows),
            },
        )  # fmt: skip


BACKENDS: dict[str, type[MagicAnimateBackend]] = {MagicAnimateBackend.name: MagicAnimateBackend}
