"""One-Euro filtering of landmark tracks (Casiez et al. 2012): steady when still, no lag when moving.

Jitter is the first complaint about landmark-driven faces; a fixed low-pass either shakes or lags.
The One-Euro filter lowers its cutoff when the signal is slow and raises it with the speed.
"""

from __future__ import annotations

import numpy as np


def _alpha(cutoff: np.ndarray | float, fps: float) -> np.ndarray | float:
    tau = 1.0 / (2 * np.pi * cutoff)
    return 1.0 / (1.0 + tau * fps)


def one_euro(track: np.ndarray, fps: float, min_cutoff: float = 1.0, beta: float = 0.3,
             d_cutoff: float = 1.0) -> np.ndarray:  # fmt: skip
    """Filter `track` [frames, ...] (any trailing shape) along time; the first frame is kept."""
    x = np.asarray(track, np.float64)
    out = np.empty_like(x)
    if len(x) == 0:
        return out
    out[0], dx_prev = x[0], np.zeros_like(x[0])
    a_d = _alpha(d_cutoff, fps)
    for t in range(1, len(x)):
        dx = (x[t] - out[t - 1]) * fps
        dx_prev = a_d * dx + (1 - a_d) * dx_prev
        a = _alpha(min_cutoff + beta * np.abs(dx_prev), fps)
        out[t] = a * x[t] + (1 - a) * out[t - 1]
    return out


def jitter(track: np.ndarray, scale: float) -> float:
    """Mean second difference of a landmark track [frames, points, 2], in units of `scale` (face size):
    acceleration, which smooth motion keeps small and frame-to-frame shake makes large."""
    x = np.asarray(track, np.float64)
    if len(x) < 3 or scale <= 0:
        return 0.0
    acc = x[2:] - 2 * x[1:-1] + x[:-2]
    return float(np.linalg.norm(acc, axis=-1).mean() / scale)
