"""Inputs for the face benchmarks, built from photos shipped in packages (nothing downloaded)."""

from __future__ import annotations

import math
import os
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from dhcore.media.frames import FrameWriter


def astronaut() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


def hopper_path() -> Path:
    import matplotlib.cbook

    return Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def t1_path() -> Path:
    import insightface

    return Path(insightface.__file__).parent / "data" / "images" / "t1.jpg"


def moving_frames(image: np.ndarray, count: int, size: int = 512, amplitude: float = 1.0) -> np.ndarray:
    """`count` frames of `image` with a small head-bob: shift, tilt and zoom varying smoothly."""
    h, w = image.shape[:2]
    out = np.empty((count, size, size, 3), np.uint8)
    for i in range(count):
        t = i / 24.0
        angle = amplitude * 4.0 * math.sin(2 * math.pi * 0.5 * t)
        zoom = 1.0 + amplitude * 0.04 * math.sin(2 * math.pi * 0.3 * t)
        dx = amplitude * 12.0 * math.sin(2 * math.pi * 0.4 * t)
        dy = amplitude * 6.0 * math.cos(2 * math.pi * 0.6 * t)
        m = cv2.getRotationMatrix2D((w / 2, h / 3), angle, zoom * size / max(h, w))
        m[:, 2] += (dx, dy)
        out[i] = cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return out


def write_frames(path: Path, frames: np.ndarray, fps: int = 24) -> Path:
    with FrameWriter(path, Fraction(fps), frames.shape[2], frames.shape[1]) as writer:
        for start in range(0, len(frames), 16):
            writer.write(frames[start : start + 16])
    return path


def machine_load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
