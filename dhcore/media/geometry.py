"""How the reference photo maps onto the output frame, shared by alignment and animators.

Convention: the photo is scaled to cover the output frame (aspect preserved) and
center-cropped. Poses are normalized (x/W, y/H), so mapping a pose from photo space to
output space is an affine map on normalized coordinates.
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

    def apply(self, image: np.ndarray, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
        """The photo resized and cropped to exactly out_w x out_h."""
        w = max(self.out_w, round(self.src_w * self.scale))
        h = max(self.out_h, round(self.src_h * self.scale))
        resized = cv2.resize(image, (w, h), interpolation=interpolation)
        x0, y0 = round(self.crop_x), round(self.crop_y)
        return np.ascontiguousarray(resized[y0 : y0 + self.out_h, x0 : x0 + self.out_w])


def cover_fit(src_w: int, src_h: int, out_w: int, out_h: int) -> CoverFit:
    scale = max(out_w / src_w, out_h / src_h)
    crop_x = (src_w * scale - out_w) / 2
    crop_y = (src_h * scale - out_h) / 2
    return CoverFit(scale, crop_x, crop_y, src_w, src_h, out_w, out_h)
