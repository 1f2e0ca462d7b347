"""The `mimicmotion` animation backend (dhcore.animate.base.Backend).

Loads MimicMotion 1.1 and the SVD img2vid-xt-1-1 parts from the model registry and streams
frames to a FrameWriter file. Conditioning: the rendered skeleton (`inputs.skeleton`) plus the
reference's own pose rendered the same way as frame 0, which the release also generates and drops.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import torch

from dhcore.animate.animate_anyone.backend import _check_size, _read_image, resolve_device, resolve_dtype
from dhcore.animate.animate_anyone.conditioning import FrameStreams
from dhcore.animate.base import AnimateInputs
from dhcore.animate.frames_out import write_frames
from dhcore.animate.mimicmotion.components import ModelIds, load_components
from dhcore.animate.mimicmotion.conditioning import StreamedPoses
from dhcore.animate.mimicmotion.params import MimicMotionParams
from dhcore.animate.mimicmotion.pipeline import Components, RunSettings, animate
from dhcore.errors import InputError
from dhcore.media.frames import iter_frames
from dhcore.models import registry
from dhcore.pool import POOL
from dhcore.pose.align import reference_in_output
from dhcore.pose.keypoints import PoseSequence
from dhcore.pose.render import render_frame
from dhcore.stage import Progress, StageParams, StageResult, as_params


def release_cache() -> None:
    """Drop the loaded models kept warm between runs (frees their memory)."""
    POOL.clear(slot="animate")
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class MimicMotionBackend:
    name: ClassVar[str] = "mimicmotion"
    version: ClassVar[str] = "1"
    device: ClassVar[str] = "auto"
    Params: ClassVar[type[StageParams]] = MimicMotionParams

    def _params(self, params: StageParams | dict) -> MimicMotionParams:
        return as_params(MimicMotionParams, params)  # type: ignore[return-value]

    def ids(self, params: MimicMotionParams) -> ModelIds:
        if params.identity is None:
            return ModelIds(params.model, params.base)
        return ModelIds(params.model, params.base, params.identity.model, params.identity.face_pack)

    def model_ids(self, params: StageParams) -> list[str]:
        return self.ids(self._params(params)).all()

    def components(self, params: MimicMotionParams, dtype: torch.dtype) -> Components:
        ids = self.ids(params)
        key = (ids, str(dtype), tuple(registry.weights_sha256(i) for i in ids.all()))
        # one animation model set warm at a time: a second one replaces the first in the pool's slot
        return POOL.get(key, lambda: load_components(ids, dtype), slot="animate")

    def run(
        self, inputs: AnimateInputs, params: StageParams, out_path: Path, progress: Progress
    ) -> StageResult:
        p = self._params(params)
        _check_size(inputs.width, inputs.height)
        if inputs.skeleton is None:
            raise InputError("mimicmotion needs the rendered skeleton frames (inputs.skeleton is missing)")
        frames = len(PoseSequence.load(inputs.target_pose))
        if frames < 1:
            raise InputError(f"{inputs.target_pose}: has no frames")
        device = resolve_device(p.device)
        dtype = resolve_dtype(p.dtype, device)
        w, h = inputs.width, inputs.height
        image = _read_image(inputs.reference_image, w, h)
        reference_pose = render_frame(reference_in_output(PoseSequence.load(inputs.reference_pose), w, h), 0)
        poses = StreamedPoses(
            reference_pose, FrameStreams({"pose": (inputs.skeleton, iter_frames(inputs.skeleton))}, (w, h))
        )
        face = None
        if p.identity is not None:  # StableAnimator's identity tokens need the reference face's embedding
            from dhcore.animate.mimicmotion.identity import reference_embedding

            face = reference_embedding(inputs.reference_image, p.identity.face_pack)
        parts = self.components(p, dtype)
        settings = RunSettings(
            p.sampler(),
            seed=inputs.seed,
            fps_id=p.fps_id,
            motion_bucket_id=p.motion_bucket_id,
            noise_aug_strength=p.noise_aug_strength,
            decode_chunk=p.decode_chunk,
        )
        return write_frames(
            "mimicmotion", out_path, inputs.fps, (w, h), frames,
            lambda write: animate(parts, image, poses, frames, settings, device, write, progress, face),
            f"with window {p.window}; lower animate.params.window (then decode_chunk), or the output size",
            lambda stats: {"unet_calls": float(stats.unet_calls), "windows": float(stats.windows)},
        )  # fmt: skip


BACKENDS: dict[str, type[MimicMotionBackend]] = {MimicMotionBackend.name: MimicMotionBackend}
