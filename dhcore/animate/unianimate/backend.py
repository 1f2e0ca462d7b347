"""The `unianimate` animation backend (dhcore.animate.base.Backend).

Loads the release from the model registry, renders the reference photo's pose as the reference
skeleton, and streams frames to a FrameWriter file. Conditioning: the rendered target skeleton
(`inputs.skeleton`, at the output size).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import torch
from pydantic import Field, field_validator, model_validator

from dhcore.animate.animate_anyone.backend import _read_image, resolve_device, resolve_dtype
from dhcore.animate.animate_anyone.conditioning import FrameStreams
from dhcore.animate.base import AnimateInputs
from dhcore.animate.unianimate.components import ModelIds, Parts, load
from dhcore.animate.unianimate.config import ARCHITECTURES
from dhcore.animate.unianimate.pipeline import RunSettings, animate
from dhcore.animate.unianimate.scheduler import UniAnimateDDIM
from dhcore.errors import InputError
from dhcore.media.frames import FrameWriter, iter_frames
from dhcore.media.geometry import cover_fit
from dhcore.models import registry
from dhcore.pose.keypoints import PoseSequence
from dhcore.pose.render import render_frame
from dhcore.stage import Output, Progress, StageParams, StageResult

#: three stride-2 levels: the latent (size / 8) must halve three times
SIZE_MULTIPLE = 64


class UniAnimateParams(StageParams):
    model: str = Field("unianimate", description="registry id of the UniAnimate UNet checkpoint")
    sd21: str = Field("sd21_512_ema_pruned", description="registry id of SD2.1 (its VAE is used)")
    clip: str = Field("open_clip_vit_h_14", description="registry id of OpenCLIP ViT-H-14")
    architecture: Literal["full", "tiny"] = Field(
        "full", description="full: the release; tiny: random test-size models (tests, CPU benchmarks)"
    )
    steps: int = Field(30, ge=1, le=500, description="the release's ddim_timesteps (30 runs 31 DDIM steps)")
    guidance_scale: float = Field(
        2.5, ge=0.0, le=50.0, description="classifier-free guidance; <= 1 turns it off"
    )
    window: int = Field(32, ge=2, le=64, description="frames per context window (trained on 16 and 32)")
    overlap: int = Field(8, ge=0, description="frames shared by neighbouring windows (averaged)")
    window_batch: int = Field(
        1, ge=1, le=64, description="windows per denoiser call (GPU throughput vs memory)"
    )
    decode_chunk: int = Field(2, ge=1, le=256, description="frames decoded by the VAE at once")
    noise_prior: int = Field(
        939, ge=0, le=998, description="timestep at which the reference latent is noised"
    )
    noise_strength: float = Field(0.1, ge=0.0, le=1.0, description="per-frame, per-channel offset noise")
    noise: Literal["per_frame", "reference"] = Field(
        "per_frame",
        description="per_frame: noise seeded per frame (length-independent, constant memory); reference: "
        "the release script's single CPU draw for the whole video",
    )
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        "auto", description="auto: bfloat16 on CUDA (float16 without bf16 support), float32 on CPU"
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"

    @field_validator("steps")
    @classmethod
    def _defined_schedule(cls, steps: int) -> int:
        UniAnimateDDIM(steps)  # ValueError for counts whose first timestep is 999
        return steps

    @model_validator(mode="after")
    def _overlap_below_window(self) -> UniAnimateParams:
        if self.overlap >= self.window:
            raise ValueError(f"overlap ({self.overlap}) must be smaller than window ({self.window})")
        return self


_CACHE: dict[tuple, Parts] = {}


def reference_skeleton(pose_path: Path, width: int, height: int) -> np.ndarray:
    """The reference photo's pose drawn like the target skeletons, after the photo's cover fit."""
    pose = PoseSequence.load(pose_path)
    if len(pose) < 1:
        raise InputError(f"{pose_path}: the reference pose has no frame")
    fit = cover_fit(pose.width, pose.height, width, height)

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
        if isinstance(params, UniAnimateParams):
            return params
        data = params.model_dump() if isinstance(params, StageParams) else dict(params)
        return UniAnimateParams.model_validate(data)

    def ids(self, params: UniAnimateParams) -> ModelIds:
        return ModelIds(params.model, params.sd21, params.clip)

    def model_ids(self, params: StageParams) -> list[str]:
        return self.ids(self._params(params)).all()

    def parts(self, params: UniAnimateParams, dtype: torch.dtype) -> Parts:
        ids = self.ids(params)
        key = (ids, params.architecture, str(dtype), tuple(registry.weights_sha256(i) for i in ids.all()))
        if key not in _CACHE:
            _CACHE.clear()
            _CACHE[key] = load(ARCHITECTURES[params.architecture], ids, dtype)
        return _CACHE[key]

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
        out_path = Path(out_path)
        tmp = out_path.with_name(out_path.name + ".part")
        start = time.perf_counter()
        try:
            with FrameWriter(tmp, inputs.fps, w, h) as writer:
                stats = animate(
                    parts, image, ref_pose, streams, frames, settings, device, writer.write, progress
                )
        except torch.OutOfMemoryError as exc:
            tmp.unlink(missing_ok=True)
            raise InputError(
                f"unianimate: out of GPU memory at {w}x{h} with window {p.window} and window_batch "
                f"{p.window_batch}; lower animate.params.window_batch (then window, decode_chunk), or the size"
            ) from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, out_path)
        seconds = time.perf_counter() - start
        meta = {"width": w, "height": h, "fps": str(inputs.fps), "frames": frames}
        return StageResult(
            outputs={"frames": Output(path=out_path, kind="frames", meta=meta)},
            metrics={
                "seconds": seconds,
                "frames_per_second": frames / seconds if seconds else 0.0,
                "unet_calls": float(stats.unet_calls),
                "windows": float(stats.windows),
                "max_live_frames": float(stats.max_live_frames),
            },
            frames=frames,
        )


BACKENDS: dict[str, type[UniAnimateBackend]] = {UniAnimateBackend.name: UniAnimateBackend}
