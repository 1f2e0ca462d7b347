"""Closed eyes: a warp squeezes the iris and lashes into a dark smear between the lids. Past half
closed, the eye is covered with eyelid skin (the colour just above the lid) and a lash line is drawn
where the lids meet."""

from __future__ import annotations

import cv2
import numpy as np

from dhcore.facemesh.landmarks import EYES, eye_opening

#: closure (1 - opening / the photo's opening) where the lid starts to cover the eye, and is fully drawn
COVER_FROM, COVER_FULL = 0.45, 0.85


def lid_skin(image: np.ndarray, points: np.ndarray, iod: float) -> dict[str, np.ndarray]:
    """Each eye's lid colour in the photo: the brighter pixels of a band above its upper lid (no
    lashes, crease or brow)."""
    skins = {}
    for eye, (upper, _) in EYES.items():
        up = points[upper, :2]
        near, far = up - (0, 0.06 * iod), up - (0, 0.2 * iod)
        band = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(band, [np.round(np.vstack([far, near[::-1]]) * 4).astype(np.int32)], 255, shift=2)
        pixels = image[band > 0].astype(np.float32)
        if len(pixels) >= 5:
            grey = pixels.mean(1)
            skins[eye] = pixels[grey >= np.percentile(grey, 70)].mean(0)
    return skins


def seal_eyes(out: np.ndarray, points: np.ndarray, source: np.ndarray, iod: float,
              skins: dict[str, np.ndarray]) -> None:  # fmt: skip
    """Cover each eye closed past COVER_FROM with lid skin and a lash line (in place)."""
    for eye, (upper, lower) in EYES.items():
        before = eye_opening(source, eye)
        if before <= 0 or eye not in skins:
            continue
        closure = 1.0 - eye_opening(points, eye) / before
        strength = float(np.clip((closure - COVER_FROM) / (COVER_FULL - COVER_FROM), 0.0, 1.0))
        if strength > 0:  # cover where the open eye was: the lower lid up to the photo's lid gap
            lid_line = (points[upper, :2] + points[lower, :2]) / 2
            was_open = points[lower, :2] + (source[upper, :2] - source[lower, :2])
            _cover(out, was_open, points[lower, :2], lid_line, iod, strength, skins[eye])


def _cover(out: np.ndarray, upper: np.ndarray, lower: np.ndarray, lid_line: np.ndarray, iod: float,
           strength: float, skin: np.ndarray) -> None:  # fmt: skip
    h, w = out.shape[:2]
    pad = max(4, int(0.15 * iod))
    x0, y0 = np.floor(np.vstack([upper, lower]).min(0)).astype(int) - pad
    x1, y1 = np.ceil(np.vstack([upper, lower]).max(0)).astype(int) + pad
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 5 or y1 - y0 < 5:
        return
    roi = out[y0:y1, x0:x1].astype(np.float32)
    up, low, line = (np.round((p - (x0, y0)) * 4).astype(np.int32) for p in (upper, lower, lid_line))
    eye = np.zeros(roi.shape[:2], np.uint8)
    cv2.fillPoly(eye, [np.vstack([up, low[::-1]])], 255, cv2.LINE_AA, shift=2)
    eye = cv2.dilate(eye, np.ones((3, 3), np.uint8))
    alpha = cv2.GaussianBlur(eye.astype(np.float32) / 255, (5, 5), 1.2)[..., None] * strength
    roi = roi * (1 - alpha) + skin * 0.96 * alpha
    lash = np.zeros(roi.shape[:2], np.uint8)
    cv2.polylines(lash, [line], False, 255, max(1, int(round(0.03 * iod))), cv2.LINE_AA, shift=2)
    dark = cv2.GaussianBlur(lash.astype(np.float32) / 255, (3, 3), 0.6)[..., None] * strength * 0.6
    roi = roi * (1 - dark) + skin * 0.4 * dark
    out[y0:y1, x0:x1] = np.clip(roi, 0, 255).astype(np.uint8)
