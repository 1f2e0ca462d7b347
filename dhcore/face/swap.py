"""Embedded identity refinement: the reference face warped onto a frame's face landmarks.

The reference's 68 landmarks plus a forehead row are triangulated once; per frame the same
triangles are mapped onto the frame's (smoothed) landmarks with one piecewise-affine remap,
the warped face takes the frame face's colour statistics (LAB), and it is blended in by
Poisson seamless cloning (or a feathered alpha). `reference_shape` moves the target points
towards the reference's own proportions (aligned to the frame by a similarity transform), so
the face keeps more of the reference's geometry while pose comes from the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.spatial import Delaunay

from dhcore.face.align import similarity, transform_points
from dhcore.face.color import lab_stats, match_lab
from dhcore.face.faces import face_outline
from dhcore.face.reference import ReferenceFace


def swap_points(landmarks: np.ndarray) -> np.ndarray:
    """68 landmarks + the 10 lifted brow points of the face outline [78, 2]."""
    return np.vstack([np.asarray(landmarks, np.float32), face_outline(landmarks)[17:]])


@dataclass
class SwapResult:
    image: np.ndarray
    changed: np.ndarray  # bool [H, W]: pixels that may differ from the input frame


class LandmarkSwapper:
    name = "landmark_swap"

    def __init__(
        self, reference: ReferenceFace, reference_shape: float = 0.5, blend: str = "seamless"
    ) -> None:
        self.image = reference.image
        self.points = swap_points(reference.landmarks)
        self.triangles = Delaunay(self.points.astype(np.float64)).simplices.astype(np.int32)
        self.reference_shape = float(reference_shape)
        self.blend = blend

    def target_points(self, landmarks: np.ndarray) -> np.ndarray:
        target = swap_points(landmarks)
        if self.reference_shape > 0:
            aligned = transform_points(self.points, similarity(self.points[:68], target[:68]))
            target = target + self.reference_shape * (aligned - target)
        return target.astype(np.float32)

    def __call__(self, frame: np.ndarray, landmarks: np.ndarray, weight: float = 1.0) -> SwapResult:
        h, w = frame.shape[:2]
        dst = self.target_points(landmarks)
        x0, y0 = np.maximum(np.floor(dst.min(0)).astype(int) - 2, 0)
        x1, y1 = np.minimum(np.ceil(dst.max(0)).astype(int) + 3, [w, h])
        unchanged = SwapResult(frame.copy(), np.zeros((h, w), bool))
        if x1 - x0 < 12 or y1 - y0 < 12 or weight <= 0:
            return unchanged
        local = dst - np.array([x0, y0], np.float32)
        rw, rh = int(x1 - x0), int(y1 - y0)
        warped, covered = self._warp(local, (rh, rw))
        mask = np.zeros((rh, rw), np.uint8)
        cv2.fillConvexPoly(mask, cv2.convexHull(np.round(local).astype(np.int32)), 255)
        size = float(np.ptp(local[:, 0]) + np.ptp(local[:, 1])) / 2
        k = max(2, int(round(size * 0.03)))
        mask = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1)))
        mask[~covered] = 0
        mask[[0, -1], :] = 0
        mask[:, [0, -1]] = 0
        if mask.sum() < 255 * 16:
            return unchanged
        roi = frame[y0:y1, x0:x1]
        inside = mask > 0
        warped = match_lab(warped, lab_stats(warped, inside), lab_stats(roi, inside), 1.0)
        blended = self._blend(frame, roi, warped, mask, (int(x0), int(y0)))
        alpha = inside[..., None] if self.blend == "seamless" else self._feather(mask)[..., None]
        alpha = alpha.astype(np.float32) * float(np.clip(weight, 0.0, 1.0))
        mixed = roi.astype(np.float32) * (1 - alpha) + blended.astype(np.float32) * alpha
        out = frame.copy()
        out[y0:y1, x0:x1] = np.where(alpha > 0, np.clip(mixed + 0.5, 0, 255), roi).astype(np.uint8)
        changed = np.zeros((h, w), bool)
        changed[y0:y1, x0:x1] = alpha[..., 0] > 0
        return SwapResult(out, changed)

    def _warp(self, local: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """One remap for all triangles: every ROI pixel looks up its triangle's affine map."""
        rh, rw = shape
        ids = np.full((rh, rw), -1, np.int32)
        for k, tri in enumerate(self.triangles):
            cv2.fillConvexPoly(ids, np.round(local[tri]).astype(np.int32), int(k))
        dst = local[self.triangles].astype(np.float64)  # [T, 3, 2]
        src = self.points[self.triangles].astype(np.float64)
        lhs = np.concatenate([dst, np.ones((len(dst), 3, 1))], axis=2)  # [T, 3, 3]
        maps = np.linalg.pinv(lhs) @ src  # [T, 3, 2]: [x, y, 1] @ maps -> source point
        covered = ids >= 0
        m = maps[np.where(covered, ids, 0)].astype(np.float32)  # [rh, rw, 3, 2]
        yy, xx = np.mgrid[0:rh, 0:rw].astype(np.float32)
        map_x = xx * m[..., 0, 0] + yy * m[..., 1, 0] + m[..., 2, 0]
        map_y = xx * m[..., 0, 1] + yy * m[..., 1, 1] + m[..., 2, 1]
        warped = cv2.remap(self.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        return warped, covered

    def _feather(self, mask: np.ndarray) -> np.ndarray:
        size = np.sqrt(float((mask > 0).sum()))
        k = max(1, int(round(size * 0.06)))
        inner = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1)))
        soft = cv2.GaussianBlur(inner.astype(np.float32) / 255.0, (0, 0), max(0.5, k / 2.0))
        return np.where(mask > 0, soft, 0.0).astype(np.float32)

    def _blend(
        self,
        frame: np.ndarray,
        roi: np.ndarray,
        warped: np.ndarray,
        mask: np.ndarray,
        origin: tuple[int, int],
    ) -> np.ndarray:
        if self.blend != "seamless":
            return warped
        bx, by, bw, bh = cv2.boundingRect(mask)
        centre = (origin[0] + bx + bw // 2, origin[1] + by + bh // 2)
        try:
            cloned = cv2.seamlessClone(warped, frame, mask, centre, cv2.NORMAL_CLONE)
        except cv2.error:  # a mask touching the frame border: fall back to the feathered blend
            return warped
        x0, y0 = origin
        return cloned[y0 : y0 + roi.shape[0], x0 : x0 + roi.shape[1]]
