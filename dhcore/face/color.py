"""Colour statistics transfer in CIE LAB (Reinhard et al.), restricted to a mask."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class LabStats:
    mean: np.ndarray  # [3]
    std: np.ndarray  # [3]


def lab_stats(image: np.ndarray, mask: np.ndarray) -> LabStats:
    """Mean and standard deviation of L, a, b over pixels where mask > 0.5."""
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    sel = lab[mask.reshape(-1) > 0.5]
    if len(sel) < 16:
        sel = lab
    return LabStats(mean=sel.mean(0), std=sel.std(0) + 1e-3)


def match_lab(
    image: np.ndarray,
    source: LabStats,
    target: LabStats,
    amount: float = 1.0,
    max_l_gain: float = 1.25,
    max_ab_gain: float | None = None,
) -> np.ndarray:
    """Move `image`'s colours (with stats `source`) towards `target`.

    Chroma (a, b) takes the target's mean and spread; lightness takes its mean, and its spread
    only within [1/max_l_gain, max_l_gain], so shading that carries the face's shape survives.
    `max_ab_gain` bounds the chroma spread likewise (a near-grey face matched to a colourful one
    would otherwise blow a faint tint, a lens reflection, up into a coloured stain).
    """
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    gain = target.std / source.std
    gain[0] = np.clip(gain[0], 1.0 / max_l_gain, max_l_gain)
    if max_ab_gain is not None:
        gain[1:] = np.clip(gain[1:], 1.0 / max_ab_gain, max_ab_gain)
    matched = (lab - source.mean) * gain + target.mean
    lab = lab + float(amount) * (matched - lab)
    return cv2.cvtColor(np.clip(lab + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
