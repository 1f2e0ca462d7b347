"""The inside of an opened mouth, painted inside the moved inner-lip contour.

A closed-mouth photo has no teeth to warp: stretching the lips' seam gives a smeared slit, and a
flat fill gives a black box. Here the cavity is shaded darker away from the lips, an upper tooth
row hangs from the upper lip (tooth gaps narrowing to the corners), a lower row and a tongue show
as the jaw drops, and the whole is feathered into the lips.
"""

from __future__ import annotations

import cv2
import numpy as np

#: colours (RGB): the cavity by the lips and deep inside, teeth, tongue
CAVITY_EDGE, CAVITY_DEEP = (96, 44, 42), (22, 9, 9)
TEETH_UPPER, TEETH_LOWER, TONGUE = (218, 204, 184), (186, 170, 150), (150, 72, 70)


def polygon_area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return float(abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))) / 2)


def paint_mouth(out: np.ndarray, inner: np.ndarray, source_inner: np.ndarray, iod: float) -> None:
    """Paint the mouth's inside into `out` (in place) where the target inner lips [20, 2] open wider
    than the photo's own (an open-mouthed photo keeps its own teeth until opened further)."""
    grown = polygon_area(inner) - 1.1 * polygon_area(source_inner)
    strength = float(np.clip(grown / (0.004 * iod * iod), 0.0, 1.0))
    if strength <= 0:
        return
    h, w = out.shape[:2]
    pad = 3
    x0, y0 = np.floor(inner.min(0)).astype(int) - pad
    x1, y1 = np.ceil(inner.max(0)).astype(int) + pad
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 3 or y1 - y0 < 2:
        return
    poly = inner - (x0, y0)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round(poly * 8).astype(np.int32)], 255, cv2.LINE_AA, shift=3)
    alpha = cv2.GaussianBlur(mask.astype(np.float32) / 255, (3, 3), 0.8) * strength
    roi = out[y0:y1, x0:x1].astype(np.float32)
    around = roi[mask == 0]
    # the photo's light: teeth and cavity take the lips' and skin's colour cast (no blue-white teeth in warm light)
    cast = around.mean(0) / max(1.0, float(around.mean())) if len(around) else np.ones(3, np.float32)
    inside = _inside(poly, mask.shape, iod) * np.clip(cast, 0.7, 1.3) ** 0.6
    out[y0:y1, x0:x1] = np.clip(roi * (1 - alpha[..., None]) + inside * alpha[..., None], 0, 255).astype(
        np.uint8
    )


def _inside(poly: np.ndarray, shape: tuple[int, int], iod: float) -> np.ndarray:
    """[h, w, 3] float: cavity, tongue and teeth for the inner-lip polygon (upper lip = first 11 points)."""
    h, w = shape
    upper, lower = poly[:11], np.vstack([poly[10:], poly[:1]])[::-1]  # both left -> right
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    top = np.interp(xs, upper[:, 0], upper[:, 1])
    bottom = np.interp(xs, *_sorted(lower))
    gap = np.maximum(bottom - top, 1e-3)
    left, right = poly[0, 0], poly[10, 0]
    mid, half = (left + right) / 2, max(1.0, (right - left) / 2)
    across = np.clip(np.abs(xs - mid) / half, 0, 1)  # 0 centre, 1 corner
    depth = np.clip(np.minimum(ys - top, bottom - ys) / np.maximum(gap / 2, 1), 0, 1)
    depth = depth * (1 - 0.5 * across)
    colour = _lerp(CAVITY_EDGE, CAVITY_DEEP, np.clip(0.35 + 0.65 * depth, 0, 1))
    opening = float(gap[h // 2, int(np.clip(mid, 0, w - 1))])
    # tongue: a low, wide ellipse resting on the lower teeth
    if opening > 0.10 * iod:
        centre_y = np.interp(mid, *_sorted(lower)) - 0.12 * opening
        t = ((xs - mid) / (0.62 * half)) ** 2 + ((ys - centre_y) / (0.38 * opening)) ** 2
        tongue = np.clip((1.0 - t) * 4, 0, 1)[..., None] * (ys >= centre_y - 0.38 * opening)[..., None]
        shade = np.clip(1.0 - 0.5 * (centre_y - ys) / max(1.0, 0.38 * opening), 0.5, 1.0)[..., None]
        colour = colour * (1 - tongue) + np.array(TONGUE, np.float32) * shade * tongue
    # upper teeth hang from the upper lip; lower teeth rise from the lower lip
    for base, sign, height, tint, reach in (
        (top, 1.0, min(0.12 * iod, 0.4 * opening), TEETH_UPPER, 0.82),
        (bottom, -1.0, min(0.06 * iod, 0.18 * opening), TEETH_LOWER, 0.62),
    ):
        if height < 0.8:
            continue
        dist = (ys - base) * sign
        band = np.clip((height * (1 - 0.35 * across**2) - dist) / 1.2, 0, 1) * (dist > -1)
        band *= np.clip((reach - across) / 0.12, 0, 1)
        tooth_w = 0.09 * iod
        phase = (xs - mid) / tooth_w * (1 + 0.35 * across)
        seams = np.exp(-(((phase - np.round(phase)) * tooth_w / 0.9) ** 2))
        light = (1 - 0.35 * across - 0.12 * seams - 0.15 * np.clip(dist / max(height, 1), 0, 1))[..., None]
        colour = colour * (1 - band[..., None]) + np.array(tint, np.float32) * light * band[..., None]
    return colour


def _sorted(line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(line[:, 0])
    return line[order, 0], line[order, 1]


def _lerp(a: tuple[int, int, int], b: tuple[int, int, int], t: np.ndarray) -> np.ndarray:
    return np.array(a, np.float32) * (1 - t[..., None]) + np.array(b, np.float32) * t[..., None]


def seal_lips(out: np.ndarray, inner: np.ndarray, source_inner: np.ndarray, iod: float) -> None:
    """Where an open-mouthed photo's lips are brought together, the squeezed teeth and folds leave
    speckles along the seam: smooth them away (median) and draw a soft lip line instead."""
    before, after = polygon_area(source_inner), polygon_area(inner)
    if before < 0.002 * iod * iod or after > 0.5 * before:
        return
    h, w = out.shape[:2]
    pad = max(3, int(0.04 * iod))
    x0, y0 = np.floor(inner.min(0)).astype(int) - pad
    x1, y1 = np.ceil(inner.max(0)).astype(int) + pad
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 5 or y1 - y0 < 5:
        return
    roi = out[y0:y1, x0:x1]
    seam = np.round((inner[:11] + np.vstack([inner[10:], inner[:1]])[::-1]) / 2 - (x0, y0)).astype(np.int32)
    mask = np.zeros(roi.shape[:2], np.uint8)
    cv2.polylines(mask, [seam], False, 255, max(3, int(0.05 * iod)))
    alpha = cv2.GaussianBlur(mask.astype(np.float32) / 255, (5, 5), 1.5)[..., None]
    smooth = cv2.medianBlur(np.ascontiguousarray(roi), 5).astype(np.float32)
    line = np.zeros(roi.shape[:2], np.uint8)
    cv2.polylines(line, [seam], False, 255, 1, cv2.LINE_AA)
    shade = 1.0 - 0.35 * cv2.GaussianBlur(line.astype(np.float32) / 255, (3, 3), 0.7)[..., None]
    mixed = roi * (1 - alpha) + smooth * shade * alpha
    out[y0:y1, x0:x1] = np.clip(mixed, 0, 255).astype(np.uint8)
