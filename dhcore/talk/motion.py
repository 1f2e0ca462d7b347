"""What a speaking face does besides the lips: mouth shapes from the audio timeline with
coarticulation, blinks, and small head motion (seeded, so a re-run draws the same)."""

from __future__ import annotations

import numpy as np

from dhcore.facemesh.expressions import Expression, HeadPose
from dhcore.talk.audio import Timeline

#: blink shape over frames at 25 fps (closing is quicker than opening)
BLINK = np.array([0.45, 0.9, 1.0, 0.75, 0.4, 0.15])


def gaussian_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Centred smoothing: a mouth shape starts before its sound and lingers after (coarticulation)."""
    if sigma <= 0 or len(x) < 2:
        return x
    radius = int(np.ceil(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    return np.convolve(np.pad(x, radius, mode="edge"), kernel, mode="valid")


def mouth_track(tl: Timeline, gain: float, rest_jaw: float, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame jaw_open and mouth_width: louder opens wider; open vowels open more, spread vowels
    widen, rounded ones narrow; silence rests at `rest_jaw` (closed lips)."""
    level = tl.envelope**0.7
    rounded = (1 - tl.spread_share) * (1 - tl.open_share)
    jaw = gain * level * (0.55 + 0.45 * tl.open_share)
    width = np.where(tl.voiced, 0.45 * tl.spread_share - 0.6 * rounded, 0.0)
    return gaussian_smooth(jaw, sigma) + rest_jaw, gaussian_smooth(width, sigma)


def blinks(frames: int, fps: float, per_minute: float, rng: np.random.Generator) -> np.ndarray:
    """Eyelid closure per frame: blinks at random intervals averaging `per_minute`."""
    closed = np.zeros(frames)
    if per_minute <= 0:
        return closed
    shape = np.interp(np.arange(0, len(BLINK), 25.0 / fps), np.arange(len(BLINK)), BLINK)
    t = rng.uniform(0.3, 1.5) * fps
    while t < frames:
        start = int(t)
        end = min(frames, start + len(shape))
        closed[start:end] = np.maximum(closed[start:end], shape[: end - start])
        t += rng.uniform(0.5, 1.5) * 60.0 / per_minute * fps
    return closed


def head_track(frames: int, fps: float, amount: float, envelope: np.ndarray,
               rng: np.random.Generator) -> list[HeadPose]:  # fmt: skip
    """Slow sways (a few incommensurate sines per axis) and a small nod with the speech's loudness."""
    t = np.arange(frames) / fps

    def sway(degrees: float) -> np.ndarray:
        freqs, phases = rng.uniform(0.08, 0.45, 3), rng.uniform(0, 2 * np.pi, 3)
        return degrees * np.mean(
            [np.sin(2 * np.pi * f * t + p) for f, p in zip(freqs, phases, strict=True)], 0
        )

    nod = 1.5 * gaussian_smooth(envelope, 3.0 * fps / 25)
    yaw, pitch, roll = sway(3.0), sway(2.0) + nod, sway(1.5)
    return [
        HeadPose(yaw=amount * y, pitch=amount * p, roll=amount * r)
        for y, p, r in zip(yaw, pitch, roll, strict=True)
    ]


def expressions(jaw: np.ndarray, width: np.ndarray, blink: np.ndarray) -> list[Expression]:
    return [
        Expression(jaw_open=float(j), mouth_width=float(w), eyes_closed=float(b))
        for j, w, b in zip(jaw, width, blink, strict=True)
    ]
