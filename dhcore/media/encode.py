"""The one encoder path of every delivered video: RGB chunks -> ffmpeg stdin -> mp4.

Shared by `assemble` and `render.extras` so the extras get exactly the main output's codec,
rate and soundtrack. ffmpeg writes to a hidden partial file that is renamed only after it
exited cleanly with every frame, so a failed or killed run never leaves a plausible mp4.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BeforeValidator, Field, PlainSerializer

from dhcore.errors import DhError, InputError
from dhcore.media.audio import AudioMode
from dhcore.media.ffmpeg import (
    DEFAULT_CRF,
    DEFAULT_PRESET,
    AudioInput,
    Codec,
    EncodeOptions,
    VideoInput,
    encode_argv,
    find_ffmpeg,
    output_frames,
    pipe_frames,
    require_encoder,
)
from dhcore.media.frames import VideoInfo, probe
from dhcore.media.rate import fps_text, parse_fps
from dhcore.stage import Progress, StageParams, no_progress

Preset = Literal[
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"
]


def _optional_fps(value: object) -> Fraction | None:
    return None if value is None else parse_fps(value)  # type: ignore[arg-type]


#: an exact output rate; accepts 24, 29.97 (-> 30000/1001) or "30000/1001"; stored as text
OutputFps = Annotated[
    Fraction | None,
    BeforeValidator(_optional_fps),
    PlainSerializer(lambda v: None if v is None else fps_text(v), return_type=str | None),
]


class EncodeParams(StageParams):
    """Settings of the delivered video, shared by the stages that encode one."""

    fps: OutputFps = Field(None, description="output frame rate; None keeps the frames' rate")
    codec: Codec = "h264"
    crf: int = Field(DEFAULT_CRF, ge=0, le=51)
    preset: Preset = DEFAULT_PRESET
    audio: AudioMode = Field("auto", description="auto | driving | file | none (see dhcore.media.audio)")

    def options(self) -> EncodeOptions:
        return EncodeOptions(codec=self.codec, crf=self.crf, preset=self.preset, fps=self.fps)


def check_length(source: Path, frames: int, fps: Fraction, out_fps: Fraction | None) -> None:
    """InputError naming `source` when it has no frames or is too short for the output rate."""
    if frames < 1:
        raise InputError(f"{source}: has no frames")
    if output_frames(frames, fps, out_fps) < 1:
        raise InputError(
            f"{source}: {frames} frame(s) at {fps_text(fps)} fps give no frame at {fps_text(out_fps or fps)} fps"
        )


def checked_chunks(chunks: Iterable[np.ndarray], width: int, height: int) -> Iterator[np.ndarray]:
    """Pass chunks through, refusing any whose shape would turn the raw stream into garbage."""
    for chunk in chunks:
        if chunk.ndim != 4 or chunk.shape[1:] != (height, width, 3) or chunk.dtype != np.uint8:
            raise DhError(
                f"encoder expects uint8 chunks [n, {height}, {width}, 3], got {chunk.shape} {chunk.dtype}"
            )
        yield chunk


def encode_mp4(
    chunks: Iterable[np.ndarray], width: int, height: int, fps: Fraction, frames: int, out_path: Path,
    options: EncodeOptions, audio: AudioInput | None, progress: Progress = no_progress,
) -> VideoInfo:  # fmt: skip
    """Encode exactly `frames` RGB frames (streamed in chunks) to `out_path`; returns its probe."""
    ffmpeg = find_ffmpeg()
    require_encoder(ffmpeg, options.codec)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(f".{out_path.name}.partial")
    argv = encode_argv(ffmpeg, VideoInput(width, height, fps), frames, partial, options, audio)
    try:
        written = pipe_frames(argv, checked_chunks(chunks, width, height), frames, progress)
        if written != frames:
            raise DhError(f"expected {frames} frames for {out_path.name}, the source gave {written}")
        os.replace(partial, out_path)
    finally:
        partial.unlink(missing_ok=True)
    return probe(out_path)
