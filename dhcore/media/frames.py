"""Frame streams between stages: uncompressed RGB in a NUT container, in chunks.

Stages never hold a whole video: readers yield [n, H, W, 3] uint8 RGB chunks and writers
take chunks. Intermediate frames are stored raw (rgb24 rawvideo): bit-exact, so a cache hit
upstream gives downstream stages the pixels they saw before, and measured here ~10x faster
to write and read than FFV1 or lossless x264 (192 frames at 512x512: 0.2 s vs 1.5-2 s),
at ~150 MB per 8 s of 512x512 video. Any ffmpeg tool can still play them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from dhcore import limits
from dhcore.errors import InputError

DEFAULT_CHUNK = 16


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: Fraction
    frames: int
    duration: float
    has_audio: bool
    audio_rate: int | None = None
    codec: str = ""
    pix_fmt: str = ""
    audio_codec: str | None = None
    audio_duration: float | None = None  # seconds of the first audio track, when the container says

    def as_meta(self) -> dict[str, object]:
        return {
            "width": self.width, "height": self.height, "fps": str(self.fps),
            "frames": self.frames, "duration": round(self.duration, 4),
            "has_audio": self.has_audio, "audio_rate": self.audio_rate, "codec": self.codec,
            "pix_fmt": self.pix_fmt, "audio_codec": self.audio_codec,
            "audio_duration": None if self.audio_duration is None else round(self.audio_duration, 4),
        }  # fmt: skip


def _open(path: str | Path) -> av.container.InputContainer:
    try:
        return av.open(str(path))
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot open as video ({exc})") from exc


def probe(path: str | Path, count_frames: bool = False, most_frames: int | None = None) -> VideoInfo:
    """Size, rate, length and audio presence; counts frames by demuxing when asked or unknown.

    Any decoding failure of a broken or hostile file is an InputError naming it; counting stops
    after `most_frames` (default: the DH_MAX_VIDEO_FRAMES limit) so a huge file cannot stall it.
    """
    most = int(limits.VIDEO_FRAMES.value()) if most_frames is None else most_frames
    try:
        with _open(path) as c:
            return _probe(c, path, count_frames, most)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a hostile file can break PyAV in many ways (None streams, ...)
        raise InputError(f"{path}: unreadable video ({type(exc).__name__}: {exc})") from exc


def _probe(c: av.container.InputContainer, path: str | Path, count_frames: bool, most: int) -> VideoInfo:
    if not c.streams.video:
        raise InputError(f"{path}: has no video stream")
    vs = c.streams.video[0]
    fps = Fraction(vs.average_rate or vs.guessed_rate or 0)
    audio = c.streams.audio[0] if c.streams.audio else None
    duration = float(vs.duration * vs.time_base) if vs.duration and vs.time_base else 0.0
    if not duration and c.duration:
        duration = c.duration / 1_000_000
    frames = vs.frames
    if not frames and not count_frames and vs.codec_context.name == "rawvideo" and fps and vs.time_base:
        frames = _count_from_last_frame(c, vs, fps)
    if count_frames or not frames:
        frames = count_packets(c, vs, most)
    if not duration and fps:
        duration = frames / float(fps)
    audio_duration = None
    if audio is not None and audio.duration and audio.time_base:
        audio_duration = float(audio.duration * audio.time_base)
    return VideoInfo(
        width=vs.codec_context.width, height=vs.codec_context.height, fps=fps,
        frames=int(frames), duration=duration, has_audio=audio is not None,
        audio_rate=audio.rate if audio is not None else None, codec=vs.codec_context.name,
        pix_fmt=vs.codec_context.pix_fmt or "", audio_codec=audio.codec_context.name if audio else None,
        audio_duration=audio_duration,
    )  # fmt: skip


def count_packets(c: av.container.InputContainer, vs: av.VideoStream, most: int) -> int:
    """Video packets that demux with data (= frames for every codec dh reads), at most `most`.

    A truncated file stops early: fewer packets than its header's frame count.
    """
    n = 0
    try:
        for packet in c.demux(vs):
            if packet.size:
                n += 1
                if n >= most:
                    break
    except av.FFmpegError:  # truncated or corrupt after the last good packet
        pass
    return n


def _count_from_last_frame(c: av.container.InputContainer, vs: av.VideoStream, fps: Fraction) -> int:
    """Frame count of a constant-rate raw intermediate from its last frame's timestamp.

    Reading every packet would mean reading the whole file (~150 MB per 8 s of 512x512); every
    raw frame is a key frame, so seeking near the end and reading the last few is exact.
    """
    step = 1 / (fps * vs.time_base)  # pts units per frame
    near_end = max(0, round((c.duration or 0) / 1_000_000 * fps) - 1)
    c.seek(int(near_end * step), stream=vs, backward=True)
    last = max((p.pts for p in c.demux(vs) if p.size and p.pts is not None), default=None)
    return 0 if last is None else round(last / step) + 1


def iter_frames(path: str | Path, chunk: int = DEFAULT_CHUNK, start: int = 0) -> Iterator[np.ndarray]:
    """Yield RGB uint8 chunks of at most `chunk` frames, skipping the first `start` frames."""
    buf: list[np.ndarray] = []
    index = 0
    with _open(path) as c:
        if not c.streams.video:
            raise InputError(f"{path}: has no video stream")
        vs = c.streams.video[0]
        vs.thread_type = "AUTO"
        try:
            for frame in c.decode(vs):
                if index >= start:
                    buf.append(frame.to_ndarray(format="rgb24"))
                    if len(buf) == chunk:
                        yield np.stack(buf)
                        buf = []
                index += 1
        except av.FFmpegError as exc:
            raise InputError(f"{path}: cannot decode frame {index} ({exc})") from exc
    if buf:
        yield np.stack(buf)


FRAMES_SUFFIX = ".nut"


class FrameWriter:
    """Writes RGB chunks to a raw-video NUT file; use as a context manager."""

    def __init__(self, path: str | Path, fps: Fraction | float, width: int, height: int) -> None:
        self.path = Path(path)
        self.width, self.height = int(width), int(height)
        self.fps = Fraction(fps).limit_denominator(1001) if not isinstance(fps, Fraction) else fps
        self.frames = 0
        self._c = av.open(str(self.path), mode="w", format="nut")
        self._s = self._c.add_stream("rawvideo", rate=self.fps)
        self._s.width, self._s.height = self.width, self.height
        self._s.pix_fmt = "rgb24"

    def write(self, frames: np.ndarray) -> None:
        if frames.ndim == 3:
            frames = frames[None]
        if frames.shape[1:] != (self.height, self.width, 3) or frames.dtype != np.uint8:
            raise ValueError(
                f"expected uint8 frames of {(self.height, self.width, 3)}, got {frames.shape} {frames.dtype}"
            )
        for f in frames:
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")
            for packet in self._s.encode(vf):
                self._c.mux(packet)
            self.frames += 1

    def close(self) -> None:
        if self._c is None:
            return
        for packet in self._s.encode():
            self._c.mux(packet)
        self._c.close()
        self._c = None  # type: ignore[assignment]

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
