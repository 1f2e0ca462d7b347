"""The `mimicmotion` animation backend (dhcore.animate.base.Backend).

Loads MimicMotion 1.1 and the SVD img2vid-xt-1-1 parts from the model registry and streams
frames to a FrameWriter file; with `identity: {encoder: stableanimator}` StableAnimator's release
and identity tokens of the reference face instead (dhcore.animate.mimicmotion.identity). Conditioning: the rendered skeleton (`inputs.skeleton`) plus the
reference's own pose rendered the same way as frame 0, which the release also generates and drops.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import ClassVar, Literal

import torch
from pydantic import Field, model_validator

from dhcore.animate.animate_anyone.backend import _check_size, _read_image, resolve_device, resolve_dtype
from dhcore.animate.animate_anyone.conditioning import FrameStreams
from dhcore.animate.base import AnimateInputs
from dhcore.animate.mimicmotion.components import ModelIds, load_components
from dhcore.animate.mimicmotion.conditioning import StreamedPoses
from dhcore.animate.mimicmotion.identity import IdentityParams, reference_embedding
from dhcore.animate.mimicmotion.pipeline import Components, RunSettings, animate
from dhcore.animate.mimicmotion.sampler import SamplerSettings
from dhcore.errors import InputError
from dhcore.media.frames import FrameWriter, iter_frames
from dhcore.models import registry
from dhcore.pose.align import reference_in_output
from dhcore.pose.keypoints import PoseSequence
from dhcore.pose.render import render_frame
from dhcore.stage import Output, Progress, StageParams, StageResult


class MimicMotionParams(StageParams):
    model: str = Field("mimicmotion", description="registry id of MimicMotion_1-1.pth")
    base: str = Field("svd_xt_1_1", description="registry id of the SVD img2vid-xt-1-1 folder")
    steps: int = Field(25, ge=1, le=1000, description="Euler steps (Karras sigmas)")
    guidance_scale: float = Field(
        2.0,
        ge=0.0,
        le=50.0,
        description="guidance of the last frame; <= 1 turns guidance off (the cond branch alone, half the "
        "UNet work; the release crashes there instead)",
    )
    min_guidance_scale: float | None = Field(
        None, ge=0.0, le=50.0, description="guidance of the first frame, ramped linearly (default: constant)"
    )
    window: int = Field(
        72, ge=2, description="frames per window, the reference-pose frame included (the release: 72)"
    )
    overlap: int = Field(
        6,
        ge=1,
        description="frames neighbouring windows share, the reference-pose frame included (the release: 6)",
    )
    anchor: Literal["first_window", "all_windows"] = Field(
        "first_window",
        description="first_window: the reference-pose frame follows the first window (memory independent of "
        "the length); all_windows: it fuses every window as the release does (memory grows with the length)",
    )
    fps_id: int = Field(7, ge=1, le=60, description="SVD's fps conditioning (the release always passes 7)")
    motion_bucket_id: int = Field(127, ge=0, le=1023, description="SVD's motion conditioning")
    noise_aug_strength: float = Field(0.0, ge=0.0, le=1.0, description="noise added to the reference latent")
    decode_chunk: int = Field(8, ge=1, le=256, description="frames decoded together by the temporal VAE")
    identity: IdentityParams | None = Field(
        None,
        description="{encoder: stableanimator}: StableAnimator's identity tokens from the reference face",
    )
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        "auto", description="auto: bfloat16 on CUDA (float16 without bf16 support), float32 on CPU"
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"

    @model_validator(mode="after")
    def _consistent(self) -> MimicMotionParams:
        if self.overlap >= self.window:
            raise ValueError(f"overlap ({self.overlap}) must be smaller than window ({self.window})")
        if self.min_guidance_scale is not None and self.min_guidance_scale > self.guidance_scale:
            raise ValueError(
                f"min_guidance_scale ({self.min_guidance_scale}) must not exceed guidance_scale "
                f"({self.guidance_scale}): the guidance ramps up from the first frame to the last"
            )
        return self

    def sampler(self) -> SamplerSettings:
        low = self.guidance_scale if self.min_guidance_scale is None else self.min_guidance_scale
        return SamplerSettings(self.steps, low, self.guidance_scale, self.window, self.overlap, self.anchor)


_CACHE: dict[tuple, Components] = {}


def release_cache() -> None:
    """Drop the loaded models kept warm between runs (frees their memory)."""
    _CACHE.clear()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class MimicMotionBackend:
    name: ClassVar[str] = "mimicmotion"
    version: ClassVar[str] = "1"
    device: ClassVar[str] = "auto"
    Params: ClassVar[type[StageParams]] = MimicMotionParams

    def _params(self, params: StageParams | dict) -> MimicMotionParams:
        if isinstance(params, MimicMotionParams):
            return params
        data = params.model_dump() if isinstance(params, StageParams) else dict(params)
        return MimicMotionParams.model_validate(data)

    def ids(self, params: MimicMotionParams) -> ModelIds:
        if params.identity is None:
            return ModelIds(params.model, params.base)
        return ModelIds(params.model, params.base, params.identity.model, params.identity.face_pack)

    def model_ids(self, params: StageParams) -> list[str]:
        return self.ids(self._params(params)).all()

    def components(self, params: MimicMotionParams, dtype: torch.dtype) -> Components:
        ids = self.ids(params)
        key = (ids, str(dtype), tuple(registry.weights_sha256(i) for i in ids.all()))
        if key not in _CACHE:
            _CACHE.clear()
            _CACHE[key] = load_components(ids, dtype)
        return _CACHE[key]

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
        face = reference_embedding(inputs.reference_image, p.identity.face_pack) if p.identity else None
        parts = self.components(p, dtype)
        settings = RunSettings(
            p.sampler(),
            seed=inputs.seed,
            fps_id=p.fps_id,
            motion_bucket_id=p.motion_bucket_id,
            noise_aug_strength=p.noise_aug_strength,
            decode_chunk=p.decode_chunk,
        )
        out_path = Path(out_path)
        tmp = out_path.with_name(out_path.name + ".part")
        start = time.perf_counter()
        try:
            with FrameWriter(tmp, inputs.fps, w, h) as writer:
                stats = animate(parts, image, poses, frames, settings, device, writer.write, progress, face)
        except torch.OutOfMemoryError as exc:
            tmp.unlink(missing_ok=True)
            raise InputError(
                f"mimicmotion: out of GPU memory at {w}x{h} with window {p.window}; lower animate.params.window "
                "(then decode_chunk), or the output size"
            ) from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, out_path)
        seconds = time.perf_counter() - start
        return StageResult(
            outputs={
                "frames": Output(
                    path=out_path,
                    kind="frames",
                    meta={"width": w, "height": h, "fps": str(inputs.fps), "frames": frames},
                )
            },
            metrics={
                "seconds": seconds,
                "frames_per_second": frames / seconds if seconds else 0.0,
                "unet_calls": float(stats.unet_calls),
                "windows": float(stats.windows),
                "max_live_frames": float(stats.max_live_frames),
            },
            frames=frames,
        )


BACKENDS: dict[str, type[MimicMotionBackend]] = {MimicMotionBackend.name: MimicMotionBackend}
