"""How the reference photo maps onto the output frame, shared by alignment and animators.

Convention: the photo is scaled to cover the output frame (aspect preserved) and
center-cropped. Poses are normalized (x/W, y/H), so mapping a pose from photo space to
output space is an affine map on normalized coordinates. `photo_fit` is the dance line's
rule: cover when the aspects (nearly) agree, otherwise fit the whole photo and pad, so a
portrait photo on a landscape canvas never loses its head (negative crop = padding).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class CoverFit:
    """Photo pixel (x, y) -> output pixel (x * scale - crop_x, y * scale - crop_y)."""

    scale: float
    crop_x: float
    crop_y: float
    src_w: int
    src_h: int
    out_w: int
    out_h: int

    def to_output_normalized(self, xy: np.ndarray) -> np.ndarray:
        """Normalized photo coordinates [..., 2] -> normalized output coordinates."""
        out = np.empty_like(xy, dtype=np.float32)
        out[..., 0] = (xy[..., 0] * self.src_w * self.scale - self.crop_x) / self.out_w
        out[..., 1] = (xy[..., 1] * self.src_h * self.scale - self.crop_y) / self.out_h
        return out

    @property
    def padded(self) -> bool:
        return self.crop_x < -0.5 or self.crop_y < -0.5

    def apply(self, image: np.ndarray, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
        """The photo resized and cropped (or edge-padded) to exactly out_w x out_h."""
        if self.padded:
            w, h = round(self.src_w * self.scale), round(self.src_h * self.scale)
            resized = cv2.resize(image, (min(w, self.out_w), min(h, self.out_h)), interpolation=interpolation)
            x0, y0 = max(0, round(-self.crop_x)), max(0, round(-self.crop_y))
            right, bottom = self.out_w - resized.shape[1] - x0, self.out_h - resized.shape[0] - y0
            return cv2.copyMakeBorder(resized, y0, bottom, x0, right, cv2.BORDER_REPLICATE)
        w = max(self.out_w, round(self.src_w * self.scale))
        h = max(self.out_h, round(self.src_h * self.scale))
        resized = cv2.resize(image, (w, h), interpolation=interpolation)
        x0, y0 = round(self.crop_x), round(self.crop_y)
        return np.ascontiguousarray(resized[y0 : y0 + self.out_h, x0 : x0 + self.out_w])

    def padding(self) -> np.ndarray:
        """bool [out_h, out_w]: output pixels outside the photo (to be filled, not shown as streaks)."""
        mask = np.ones((self.out_h, self.out_w), bool)
        if self.padded:
            w, h = (
                min(self.out_w, round(self.src_w * self.scale)),
                min(self.out_h, round(self.src_h * self.scale)),
            )
            x0, y0 = max(0, round(-self.crop_x)), max(0, round(-self.crop_y))
            mask[y0 : y0 + h, x0 : x0 + w] = False
        else:
            mask[:] = False
        return mask


def cover_fit(src_w: int, src_h: int, out_w: int, out_h: int) -> CoverFit:
    scale = max(out_w / src_w, out_h / src_h)
    crop_x = (src_w * scale - out_w) / 2
    crop_y = (src_h * scale - out_h) / 2
    return CoverFit(scale, crop_x, crop_y, src_w, src_h, out_w, out_h)


#: cover-fitting crops at most this share of the photo's width or height; beyond it, pad instead
MAX_CROP = 0.02


def photo_fit(src_w: int, src_h: int, out_w: int, out_h: int) -> CoverFit:
    """Cover when that crops little (aspects nearly equal), else contain: the whole photo, centred."""
    cover = cover_fit(src_w, src_h, out_w, out_h)
    if max(2 * cover.crop_x / (src_w * cover.scale), 2 * cover.crop_y / (src_h * cover.scale)) <= MAX_CROP:
        return cover
    scale = min(out_w / src_w, out_h / src_h)
    return CoverFit(
        scale, (src_w * scale - out_w) / 2, (src_h * scale - out_h) / 2, src_w, src_h, out_w, out_h
    )
