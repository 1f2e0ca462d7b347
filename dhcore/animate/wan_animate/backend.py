"""The `wan_animate` animation backend (dhcore.animate.base.Backend): Wan2.2-Animate through
diffusers' WanAnimatePipeline, loaded from a registered local folder.

Inputs the pipeline reads: the reference photo, the rendered skeleton at the output size (body and
hands, as Wan-Animate's own pose videos) and the driver's face: per-frame crops of the driving
video around the face landmarks pose.extract found there (dhcore.animate.wan_animate.faces).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from dhcore.animate.animate_anyone.backend import _read_image, resolve_device, resolve_dtype
from dhcore.animate.animate_anyone.components import check_installed
from dhcore.animate.base import AnimateInputs
from dhcore.animate.frames_out import write_frames
from dhcore.animate.wan_animate.checkpoint import check_folder
from dhcore.animate.wan_animate.faces import driving_face_crops
from dhcore.animate.wan_animate.masks import person_mask
from dhcore.animate.wan_animate.params import WanAnimateParams
from dhcore.animate.wan_animate.pipeline import SegmentedWanAnimatePipeline, Settings, animate
from dhcore.errors import InputError, ModelError
from dhcore.media.frames import iter_frames, probe
from dhcore.media.geometry import photo_fit
from dhcore.models import registry
from dhcore.pool import POOL
from dhcore.pose.keypoints import PoseSequence
from dhcore.stage import Progress, StageParams, StageResult, as_params


def release_cache() -> None:
    """Drop the loaded pipeline kept warm between runs (frees its memory)."""
    POOL.clear(slot="animate")
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def load_pipeline(
    model_id: str, dtype: torch.dtype, device: torch.device, root: Path | None = None
) -> SegmentedWanAnimatePipeline:
    """The registered folder, contract-checked, through diffusers' from_pretrained (never the hub)."""
    check_installed([model_id], root)
    folder = registry.model_dir(model_id, root)
    check_folder(folder)
    try:
        pipe = SegmentedWanAnimatePipeline.from_pretrained(folder, local_files_only=True, dtype=dtype)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{folder}: diffusers cannot load it as a WanAnimatePipeline ({exc})") from exc
    pipe.vae.to(torch.float32)  # the Wan VAE in bf16 visibly degrades the frames
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


def _check_size(width: int, height: int) -> None:
    bad = [(n, v) for n, v in (("width", width), ("height", height)) if v % 16]
    if bad:
        hints = ", ".join(f"{n} {v} -> {max(16, v // 16 * 16)} or {v // 16 * 16 + 16}" for n, v in bad)
        raise InputError(f"wan_animate needs an output size in multiples of 16 ({hints})")


def replace_streams(
    inputs: AnimateInputs, margin: float
) -> tuple[Iterator[np.ndarray], Iterator[np.ndarray]]:
    """Replace mode: the driving frames fitted to the output canvas as pose.align `none` fits the
    poses, and the driver's grown region from those poses (the target)."""
    assert inputs.driving_video is not None
    w, h = inputs.width, inputs.height
    target = PoseSequence.load(inputs.target_pose)
    info = probe(inputs.driving_video)
    fit = photo_fit(info.width, info.height, w, h)
    backgrounds = (fit.apply(f) for chunk in iter_frames(inputs.driving_video) for f in chunk)
    masks = (person_mask(target, i, w, h, margin) for i in range(len(target)))
    return backgrounds, masks


class WanAnimateBackend:
    name: ClassVar[str] = "wan_animate"
    version: ClassVar[str] = "1"
    device: ClassVar[str] = "auto"
    Params: ClassVar[type[StageParams]] = WanAnimateParams

    def _params(self, params: StageParams | dict) -> WanAnimateParams:
        return as_params(WanAnimateParams, params)  # type: ignore[return-value]

    def model_ids(self, params: StageParams) -> list[str]:
        return self._params(params).model_ids()

    def pipeline(
        self, p: WanAnimateParams, dtype: torch.dtype, device: torch.device
    ) -> SegmentedWanAnimatePipeline:
        key = (p.model, str(dtype), str(device), registry.weights_sha256(p.model))
        return POOL.get(key, lambda: load_pipeline(p.model, dtype, device), slot="animate")

    def run(
        self, inputs: AnimateInputs, params: StageParams, out_path: Path, progress: Progress
    ) -> StageResult:
        p = self._params(params)
        w, h = inputs.width, inputs.height
        _check_size(w, h)
        if inputs.skeleton is None:
            raise InputError("wan_animate needs the rendered skeleton frames (inputs.skeleton is missing)")
        if inputs.driving_video is None or inputs.driving_pose is None:
            raise InputError(
                "wan_animate needs the driving video and its poses (the driver's face moves the face)"
            )
        frames = len(PoseSequence.load(inputs.target_pose))
        driving = len(PoseSequence.load(inputs.driving_pose))
        if frames < 1 or driving != frames:
            raise InputError(
                f"{inputs.target_pose}: {frames} target frames for {driving} driving frames ({inputs.driving_pose})"
            )
        device = resolve_device(p.device)
        dtype = resolve_dtype(p.dtype, device)
        pipe = self.pipeline(p, dtype, device)
        face_size = pipe.transformer.config.motion_encoder_size
        image = _read_image(inputs.reference_image, w, h)
        poses = (f for chunk in iter_frames(inputs.skeleton) for f in chunk)
        faces = driving_face_crops(inputs.driving_video, inputs.driving_pose, face_size, p.face_scale)
        scene = replace_streams(inputs, p.mask_margin) if p.mode == "replace" else None
        with torch.no_grad():
            embeds = pipe.encode_prompt(
                p.prompt, p.negative_prompt or None, do_classifier_free_guidance=p.guidance_scale > 1,
                max_sequence_length=pipe.transformer.config.get("text_len", 512), device=device,
            )  # fmt: skip
        settings = Settings(
            p.steps, p.guidance_scale, p.segment_frames, p.prev_frames, p.motion_batch, inputs.seed
        )
        return write_frames(
            "wan_animate", out_path, inputs.fps, (w, h), frames,
            lambda write: animate(pipe, image, poses, faces, frames, embeds, settings, write, progress, scene),
            f"with segments of {p.segment_frames}; lower animate.params.segment_frames or the output size",
            lambda stats: {
                "segments": float(stats.calls), "transformer_calls": float(stats.transformer_calls)
            },
        )  # fmt: skip
