"""The `animate_anyone`, `musepose` and `champ` animation backends (dhcore.animate.base.Backend).

Each loads its public release from the model registry and streams frames to a FrameWriter file.
Conditioning images: the rendered skeleton (`inputs.skeleton`, at the output size); Champ also
reads `inputs.guidance[depth|normal|semantic_map]` frame files (its dwpose input is the skeleton).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
import torch

from dhcore.animate.animate_anyone.components import Components, ModelIds, load_components
from dhcore.animate.animate_anyone.conditioning import FrameStreams
from dhcore.animate.animate_anyone.config import CHAMP, MOORE, MUSEPOSE, Release
from dhcore.animate.animate_anyone.params import AnimateAnyoneParams, ChampParams, MusePoseParams
from dhcore.animate.animate_anyone.pipeline import RunSettings, animate
from dhcore.animate.animate_anyone.sampler import SamplerSettings
from dhcore.animate.base import AnimateInputs
from dhcore.animate.frames_out import write_frames
from dhcore.errors import InputError
from dhcore.media.frames import iter_frames
from dhcore.media.geometry import photo_fit
from dhcore.models import registry
from dhcore.pool import POOL
from dhcore.pose.keypoints import PoseSequence
from dhcore.stage import Progress, StageParams, StageResult, as_params


def release_cache() -> None:
    """Drop the loaded models kept warm between runs (frees their memory)."""
    POOL.clear(slot="animate")
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("animate.params.device is 'cuda' but no CUDA GPU is available")
    return torch.device(name)


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    if name != "auto":
        return getattr(torch, name)
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def _check_size(width: int, height: int) -> None:
    bad = [(n, v) for n, v in (("width", width), ("height", height)) if v % 8 or v < 64]
    if bad:
        hints = ", ".join(f"{n} {v} -> {max(64, v // 8 * 8)} or {max(64, v // 8 * 8 + 8)}" for n, v in bad)
        raise InputError(f"the output size must be a multiple of 8 and at least 64 ({hints})")


def _read_image(path: Path, width: int, height: int) -> np.ndarray:
    data = np.fromfile(path, dtype=np.uint8) if Path(path).is_file() else None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data is not None and data.size else None
    if image is None:
        raise InputError(f"{path}: cannot read the reference image")
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return photo_fit(rgb.shape[1], rgb.shape[0], width, height).apply(rgb)


class AnimateAnyoneBackend:
    name: ClassVar[str] = "animate_anyone"
    version: ClassVar[str] = "1"
    device: ClassVar[str] = "auto"
    Params: ClassVar[type[StageParams]] = AnimateAnyoneParams
    release: ClassVar[Release] = MOORE

    def _params(self, params: StageParams | dict) -> AnimateAnyoneParams:
        return as_params(self.Params, params)  # type: ignore[return-value]

    def ids(self, params: AnimateAnyoneParams) -> ModelIds:
        return ModelIds(params.model, params.unet_config, params.vae, params.image_encoder)

    def model_ids(self, params: StageParams) -> list[str]:
        return self.ids(self._params(params)).all()

    def guidance_types(self, params: AnimateAnyoneParams) -> tuple[str, ...]:
        return ()  # pose-guided: one pose guider, no guidance encoders

    def components(self, params: AnimateAnyoneParams, dtype: torch.dtype) -> Components:
        ids = self.ids(params)
        types = self.guidance_types(params)
        key = (
            self.release.name,
            ids,
            types,
            str(dtype),
            tuple(registry.weights_sha256(i) for i in ids.all()),
        )
        # one release loaded at a time: a second one replaces the first in the pool's slot
        return POOL.get(key, lambda: load_components(self.release, ids, dtype, types), slot="animate")

    def streams(self, inputs: AnimateInputs, params: AnimateAnyoneParams) -> FrameStreams:
        if inputs.skeleton is None:
            raise InputError(f"{self.name} needs the rendered skeleton frames (inputs.skeleton is missing)")
        return FrameStreams(
            {"pose": (inputs.skeleton, iter_frames(inputs.skeleton))}, (inputs.width, inputs.height)
        )

    def run(
        self, inputs: AnimateInputs, params: StageParams, out_path: Path, progress: Progress
    ) -> StageResult:
        p = self._params(params)
        _check_size(inputs.width, inputs.height)
        frames = len(PoseSequence.load(inputs.target_pose))
        if frames < 1:
            raise InputError(f"{inputs.target_pose}: has no frames")
        device = resolve_device(p.device)
        dtype = resolve_dtype(p.dtype, device)
        image = _read_image(inputs.reference_image, inputs.width, inputs.height)
        parts = self.components(p, dtype)
        if p.window > parts.unet.motion.max_len:
            raise InputError(
                f"window {p.window} is longer than the motion modules of {p.model} accept "
                f"({parts.unet.motion.max_len}); lower animate.params.window"
            )
        settings = RunSettings(
            SamplerSettings(p.steps, p.guidance_scale, p.window, p.overlap, p.closed_loop, p.window_batch),
            seed=inputs.seed,
            noise=p.noise,
            decode_chunk=p.decode_chunk,
        )
        return write_frames(
            self.name, out_path, inputs.fps, (inputs.width, inputs.height), frames,
            lambda write: animate(
                parts, image, self.streams(inputs, p), frames, settings, device, write, progress
            ),
            f"with window {p.window} and window_batch {p.window_batch}; lower animate.params.window_batch "
            "(then window, decode_chunk), or the output size",
            lambda stats: {"unet_calls": float(stats.unet_calls), "windows": float(stats.windows)},
        )  # fmt: skip


class MusePoseBackend(AnimateAnyoneBackend):
    name: ClassVar[str] = "musepose"
    Params: ClassVar[type[StageParams]] = MusePoseParams
    release: ClassVar[Release] = MUSEPOSE


class ChampBackend(AnimateAnyoneBackend):
    name: ClassVar[str] = "champ"
    Params: ClassVar[type[StageParams]] = ChampParams
    release: ClassVar[Release] = CHAMP

    def guidance_types(self, params: AnimateAnyoneParams) -> tuple[str, ...]:
        return tuple(params.guidance_types)  # type: ignore[attr-defined]

    def streams(self, inputs: AnimateInputs, params: AnimateAnyoneParams) -> FrameStreams:
        sources = {}
        for t in self.guidance_types(params):
            if t == "dwpose":
                if inputs.skeleton is None:
                    raise InputError("champ's dwpose guidance needs the rendered skeleton (inputs.skeleton)")
                sources[t] = (inputs.skeleton, iter_frames(inputs.skeleton))
            elif t in inputs.guidance:
                sources[t] = (inputs.guidance[t], iter_frames(inputs.guidance[t]))
            else:
                raise InputError(
                    f"champ guidance {t!r} has no input frames: supply a {t} frames file per video, or drop "
                    f"{t!r} from animate.params.guidance_types"
                )
        return FrameStreams(sources, (inputs.width, inputs.height))


BACKENDS: dict[str, type[AnimateAnyoneBackend]] = {
    b.name: b for b in (AnimateAnyoneBackend, MusePoseBackend, ChampBackend)
}
