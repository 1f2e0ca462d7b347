"""Audio sources for the final video: probing with PyAV and choosing what ffmpeg muxes.

Trimming and padding happen inside the encoder's filter graph (`dhcore.media.ffmpeg`), so
no intermediate audio file is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import av

from dhcore.errors import InputError
from dhcore.media.ffmpeg import AAC_RATES, DEFAULT_AUDIO_RATE, AudioInput

AudioMode = Literal["auto", "driving", "file", "none"]


@dataclass(frozen=True)
class AudioInfo:
    rate: int
    channels: int
    duration: float  # seconds; 0.0 when the container does not say
    codec: str


def probe_audio(path: str | Path) -> AudioInfo | None:
    """The first audio track of a file, or None when it has none; InputError when unreadable."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return None
            stream = container.streams.audio[0]
            if stream.duration and stream.time_base:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = (container.duration or 0) / 1_000_000
            return AudioInfo(
                rate=int(stream.codec_context.sample_rate or 0), channels=int(stream.codec_context.channels or 0),
                duration=duration, codec=stream.codec_context.name,
            )  # fmt: skip
    except (av.FFmpegError, OSError) as exc:
        raise InputError(f"{path}: not a readable audio or video file ({exc})") from exc


def output_rate(rate: int) -> int:
    """The AAC rate to encode at: the source's when AAC supports it, else 48 kHz."""
    return rate if rate in AAC_RATES else DEFAULT_AUDIO_RATE


def choose_audio(mode: AudioMode, path: Path | None) -> tuple[AudioInput | None, list[str]]:
    """What to mux for an audio mode, and warnings for the stage result.

    - none: no audio track.
    - file: the file's first audio track; a missing path, an unreadable file or a file without
      audio is an InputError naming the file (the user asked for that sound).
    - driving: the driving video's soundtrack; a video without one gets a silent track and a
      warning, so the production still finishes and the output still has the audio stream that
      players, editors and upload sites expect from a "with sound" setting.
    - auto: the soundtrack when `path` has one, else no audio track.
    """
    if mode == "none":
        return None, []
    if path is None:
        if mode == "auto":
            return None, []
        raise InputError(f"audio mode {mode!r} needs an audio source file, but none was given")
    info = probe_audio(path)
    if info is not None:
        return AudioInput(path=Path(path), rate=output_rate(info.rate)), []
    if mode == "file":
        raise InputError(f"{path}: has no audio track (audio mode 'file')")
    if mode == "driving":
        return AudioInput(path=None), [
            f"driving video {path} has no audio track; the output has a silent track"
        ]
    return None, []
