"""Tiny media made by the tests: frames files, WAV tones, short mp4s with and without sound."""

from __future__ import annotations

import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from dhcore.media.frames import FrameWriter


def frame_pattern(index: int, width: int, height: int) -> np.ndarray:
    """A frame that differs per index: colour gradient plus a moving white square."""
    ys, xs = np.mgrid[0:height, 0:width]
    frame = np.stack(
        [
            (xs * 255 // max(1, width - 1)),
            (ys * 255 // max(1, height - 1)),
            np.full_like(xs, (index * 7) % 256),
        ],
        axis=-1,
    ).astype(np.uint8)
    x0 = (index * 3) % max(1, width - 8)
    frame[4:12, x0 : x0 + 8] = 255
    return frame


def write_frames(path: Path, frames: int, width: int, height: int, fps: Fraction, chunk: int = 16) -> Path:
    with FrameWriter(path, fps, width, height) as writer:
        for start in range(0, frames, chunk):
            writer.write(
                np.stack([frame_pattern(i, width, height) for i in range(start, min(frames, start + chunk))])
            )
    return path


def write_tone(path: Path, seconds: float, rate: int = 44100, channels: int = 2, freq: float = 440.0) -> Path:
    t = np.arange(round(seconds * rate)) / rate
    samples = (np.sin(2 * np.pi * freq * t) * 0.5 * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.repeat(samples[:, None], channels, axis=1).tobytes())
    return path


def write_clip(path: Path, frames: int, fps: Fraction, audio_seconds: float | None, size: int = 64) -> Path:
    """An mp4 (h264 + optional aac tone) written with PyAV, like a driving video from a phone."""
    with av.open(str(path), mode="w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width = video.height = size
        video.pix_fmt = "yuv420p"
        audio = out.add_stream("aac", rate=44100) if audio_seconds is not None else None
        for i in range(frames):
            for packet in video.encode(
                av.VideoFrame.from_ndarray(frame_pattern(i, size, size), format="rgb24")
            ):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if audio is not None:
            total = round(audio_seconds * 44100)
            for start in range(0, total, 1024):
                n = min(1024, total - start)
                t = (start + np.arange(n)) / 44100
                tone = (np.sin(2 * np.pi * 330 * t) * 0.5).astype(np.float32)[None]
                frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
                frame.sample_rate = 44100
                frame.pts = start
                for packet in audio.encode(frame):
                    out.mux(packet)
            for packet in audio.encode():
                out.mux(packet)
    return path


def decoded_audio(path: Path) -> tuple[np.ndarray, int]:
    """All samples of the first audio track as float [channels, n], and the rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        parts = [frame.to_ndarray() for frame in container.decode(stream)]
        return np.concatenate(parts, axis=1), stream.rate


class Media:
    """Makers for test media in one temporary folder (pytest's importlib mode cannot import conftest)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def frames(
        self,
        frames: int = 24,
        width: int = 64,
        height: int = 48,
        fps: Fraction = Fraction(24),
        name: str = "f",
    ) -> Path:
        return write_frames(self.root / f"{name}.nut", frames, width, height, fps)

    def tone(self, seconds: float, rate: int = 44100, channels: int = 2, name: str = "tone.wav") -> Path:
        return write_tone(self.root / name, seconds, rate, channels)

    def clip(self, frames: int, fps: Fraction, audio_seconds: float | None, name: str = "clip.mp4") -> Path:
        return write_clip(self.root / name, frames, fps, audio_seconds)

    pattern = staticmethod(frame_pattern)
    decoded_audio = staticmethod(decoded_audio)


@pytest.fixture
def media(tmp_path: Path) -> Media:
    return Media(tmp_path)
