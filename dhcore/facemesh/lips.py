"""Lip colour: a tint that keeps the lips' own shading (kept out of edits.py: validation needs no cv2)."""

from __future__ import annotations

import cv2
import numpy as np

from dhcore.facemesh.landmarks import INNER_LIPS, OUTER_LIPS


def tint_lips(image: np.ndarray, points: np.ndarray, colour: str, strength: float) -> None:
    """Move the lips' hue and saturation (Lab a*, b*) towards `colour` in place, keeping their shading."""
    if strength <= 0:
        return
    rgb = np.array([[[int(colour[i : i + 2], 16) for i in (1, 3, 5)]]], np.uint8)
    target = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)[0, 0].astype(np.float32)
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.round(points[OUTER_LIPS, :2] * 4).astype(np.int32)], 255, cv2.LINE_AA, shift=2)
    cv2.fillPoly(mask, [np.round(points[INNER_LIPS, :2] * 4).astype(np.int32)], 0, cv2.LINE_AA, shift=2)
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return
    x0, y0, x1, y1 = xs.min() - 2, ys.min() - 2, xs.max() + 3, ys.max() + 3
    x0, y0 = max(0, x0), max(0, y0)
    alpha = cv2.GaussianBlur(mask[y0:y1, x0:x1].astype(np.float32) / 255, (5, 5), 1.2)[..., None] * strength
    lab = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_RGB2LAB).astype(np.float32)
    shifted = lab.copy()
    shifted[..., 1:] = target[1:]
    shifted[..., 0] = 0.7 * lab[..., 0] + 0.3 * target[0]
    mixed = lab * (1 - alpha) + shifted * alpha
    image[y0:y1, x0:x1] = cv2.cvtColor(np.clip(mixed, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
