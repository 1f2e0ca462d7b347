"""Stage shoot.video_portrait: the delivered images as a short H.264 film with slow pans and zooms.

Timeline: slot k of the slide show starts at k x seconds_per_image; in the last `crossfade`
seconds of its slot its image dissolves into the next one (linear in time), so the next image
is visible from `crossfade` seconds before its slot starts. Without `duration` the
film is one pass (images x seconds_per_image); with it the images loop until it is filled.
Each image moves on its own Ken Burns path (zoom between 1 and 1 + zoom, in or out, and a
drift of its centre), drawn from a generator seeded by (motion_seed, image number): the same
image always moves the same way, also when it comes round again. Its motion runs over the
whole time it is visible, crossfades included, eased at both ends so nothing jerks.

Frames are made and encoded in chunks through the one encoder path of the project
(`dhcore.media.encode.encode_mp4`): music from a file is AAC, trimmed or padded with silence
to exactly the film's length; none gives a film without an audio track.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from dhcore.errors import InputError
from dhcore.face.faces import read_image
from dhcore.media.audio import choose_audio
from dhcore.media.encode import Preset, encode_mp4
from dhcore.media.ffmpeg import DEFAULT_CRF, DEFAULT_PRESET, EncodeOptions
from dhcore.media.frames import DEFAULT_CHUNK
from dhcore.media.geometry import cover_fit
from dhcore.stage import (
    InputValue,
    Output,
    StageContext,
    StageDef,
    StageParams,
    StageResult,
    port,
)

NAME = "shoot.video_portrait"
VERSION = "1"


class Params(StageParams):
    width: int = Field(512, ge=16, le=4096)
    height: int = Field(512, ge=16, le=4096)
    fps: int = Field(24, ge=1, le=60)
    seconds_per_image: float = Field(2.0, gt=0.2, le=30)
    crossfade: float = Field(
        0.5, ge=0, le=5, description="dissolve seconds between images (at most half an image's time)"
    )
    motion: Literal["ken_burns", "none"] = "ken_burns"
    zoom: float = Field(0.12, ge=0, le=0.5, description="Ken Burns: largest extra zoom (0.12 = 12 %)")
    motion_seed: int = Field(0, ge=0)
    duration: float | None = Field(None, gt=0, le=600, description="total seconds; images loop to fill it")
    crf: int = Field(DEFAULT_CRF, ge=0, le=51)
    preset: Preset = DEFAULT_PRESET

    def effective_crossfade(self) -> float:
        return min(self.crossfade, self.seconds_per_image / 2)


@dataclass(frozen=True)
class Move:
    """One image's Ken Burns path: zoom and centre offset (share of the free margin) at start/end."""

    zoom0: float
    zoom1: float
    offset0: tuple[float, float]
    offset1: tuple[float, float]


def move_for(image_number: int, params: Params) -> Move:
    if params.motion == "none" or params.zoom == 0:
        return Move(1.0, 1.0, (0.0, 0.0), (0.0, 0.0))
    rng = np.random.default_rng([params.motion_seed, image_number])
    zoom_in = bool(rng.integers(2))
    z = 1.0 + params.zoom * float(rng.uniform(0.6, 1.0))
    start, end = rng.uniform(-1, 1, 2), rng.uniform(-1, 1, 2)
    return Move(
        1.0 if zoom_in else z,
        z if zoom_in else 1.0,
        (float(start[0]), float(start[1])),
        (float(end[0]), float(end[1])),
    )


def _ease(p: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * min(1.0, max(0.0, p)))


def frame_count(images: int, params: Params) -> int:
    seconds = params.duration if params.duration is not None else images * params.seconds_per_image
    return max(1, round(seconds * params.fps))


def layers(frame: int, images: int, params: Params) -> list[tuple[int, int, float, float]]:
    """What frame `frame` shows: (slot, image number, weight, motion progress 0-1) per layer."""
    spi, cf = params.seconds_per_image, params.effective_crossfade()
    total = frame_count(images, params) / params.fps
    t = frame / params.fps
    slot = int(math.floor(t / spi + 1e-9))

    def progress(k: int) -> float:  # image k is visible from (k x spi - cf) to (k + 1) x spi
        start = k * spi - cf if k > 0 else 0.0
        return (t - start) / ((k + 1) * spi - start)

    u = t - slot * spi
    if cf > 0 and u > spi - cf and (slot + 1) * spi < total - 1e-9:
        a = (u - (spi - cf)) / cf
        return [
            (slot, slot % images, 1.0 - a, progress(slot)),
            (slot + 1, (slot + 1) % images, a, progress(slot + 1)),
        ]
    return [(slot, slot % images, 1.0, progress(slot))]


def _view(image: np.ndarray, move: Move, p: float) -> np.ndarray:
    """The image through the move's window at progress p (eased), at the image's own size."""
    h, w = image.shape[:2]
    e = _ease(p)
    z = move.zoom0 + (move.zoom1 - move.zoom0) * e
    if z <= 1.0 + 1e-6 and move.offset0 == move.offset1 == (0.0, 0.0):
        return image
    ox = move.offset0[0] + (move.offset1[0] - move.offset0[0]) * e
    oy = move.offset0[1] + (move.offset1[1] - move.offset0[1]) * e
    cx = w / 2 + ox * (w - w / z) / 2
    cy = h / 2 + oy * (h - h / z) / 2
    # output (x, y) -> source (cx + (x - w/2) / z, cy + (y - h/2) / z)
    m = np.array([[1 / z, 0, cx - w / (2 * z)], [0, 1 / z, cy - h / (2 * z)]], np.float64)
    return cv2.warpAffine(
        image, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT_101
    )


def render_frames(
    images: Sequence[np.ndarray], params: Params, chunk: int = DEFAULT_CHUNK
) -> Iterator[np.ndarray]:
    """The film's RGB frames in chunks [n, height, width, 3]; images must be width x height."""
    moves = [move_for(i, params) for i in range(len(images))]
    total = frame_count(len(images), params)
    buf: list[np.ndarray] = []
    for f in range(total):
        mixed = None
        for _, number, weight, p in layers(f, len(images), params):
            view = _view(images[number], moves[number], p).astype(np.float32)
            mixed = view * weight if mixed is None else mixed + view * weight
        buf.append(np.clip(mixed + 0.5, 0, 255).astype(np.uint8))  # type: ignore[operator]
        if len(buf) == chunk:
            yield np.stack(buf)
            buf = []
    if buf:
        yield np.stack(buf)


def load_images(paths: Sequence[Path], width: int, height: int) -> list[np.ndarray]:
    """The images cover-fitted to width x height (delivered images already are)."""
    out = []
    for path in paths:
        image = read_image(Path(path))
        if image.shape[:2] != (height, width):
            image = cover_fit(image.shape[1], image.shape[0], width, height).apply(image)
        out.append(np.ascontiguousarray(image))
    return out


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("image", "image", many=True), port("music", "audio", optional=True)),
    outputs=(port("video", "video"),),
    impl="dhcore.shoot.video_portrait:run",
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Encode the video portrait of the images (in delivery order) to video_portrait.mp4."""
    images, music, progress = [Path(p) for p in inputs["image"]], inputs.get("music"), ctx.progress
    out_path = Path(out_dir) / "video_portrait.mp4"
    if not images:
        raise InputError("the video portrait needs at least one delivered image")
    soundtrack, warnings = choose_audio("file", Path(music)) if music is not None else (None, [])
    if params.effective_crossfade() < params.crossfade:
        warnings.append(
            f"crossfade {params.crossfade:g} s is longer than half an image's {params.seconds_per_image:g} s; "
            f"using {params.effective_crossfade():g} s"
        )
    frames = frame_count(len(images), params)
    pictures = load_images(images, params.width, params.height)
    info = encode_mp4(
        render_frames(pictures, params), params.width, params.height, Fraction(params.fps), frames,
        Path(out_path), EncodeOptions(crf=params.crf, preset=params.preset), soundtrack, progress,
    )  # fmt: skip
    meta = info.as_meta() | {"images": len(images), "music": str(music) if music is not None else None}
    return StageResult(
        outputs={"video": Output(path=Path(out_path), kind="video", meta=meta)},
        metrics={"output_seconds": round(info.duration, 4), "video_images": float(len(images))},
        frames=info.frames,
        warnings=warnings,
    )
