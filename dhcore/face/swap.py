"""Embedded face swap: the reference face warped onto a frame's face landmarks, so it does not look pasted.

The reference's 68 landmarks plus a forehead row are triangulated once; per frame the same
triangles are mapped onto the frame's landmarks with one piecewise-affine remap, so the face is
turned to the frame's yaw and pitch by the mesh rather than pasted frontal. On top of the warp:
- `reference_shape` moves the target points towards the reference's own proportions (aligned by
  a similarity), down to half as the two head poses differ (a frontal shape pulled onto a turned head
  is what looks pasted); the mouth keeps the frame's shape and an open jaw stays open;
- an open mouth keeps the frame's own inner mouth (teeth, tongue, cavity): it is cut out of the mask;
- colours are matched in CIE Lab within the face, then the frame's low-frequency shading is put
  on the new face (its light and shadows), the reference's detail kept but blurred where the frame
  is softer (a crisp face in a soft photo looks pasted);
- a small reference face is upscaled (Lanczos) and sharpened once, before any warp;
- the mask stays inside the jaw line and `forehead` x the chin-brow distance above the brows (a
  cap or fringe of the reference stays behind), blended multiband (default), Poisson or feathered.
Every result carries the warp's distortion for the realism figure (dhcore.face.realism).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.spatial import Delaunay

from dhcore.face.align import similarity, transform_points
from dhcore.face.blend import match_shading, match_sharpness, multiband
from dhcore.face.color import lab_stats, match_lab
from dhcore.face.faces import face_outline
from dhcore.face.realism import warp_distortion
from dhcore.face.reference import ReferenceFace

#: reference faces smaller than this (landmark span, px) are upscaled before use
MIN_REFERENCE_PX = 192
#: inner-lip gap over inner-mouth width above which a mouth counts as open
MOUTH_OPEN = 0.12
#: yaw/pitch proxy difference at which the pull towards the reference's proportions is halved
POSE_TOLERANCE = 0.8


def swap_points(landmarks: np.ndarray) -> np.ndarray:
    """68 landmarks + the 10 lifted brow points of the face outline [78, 2]."""
    return np.vstack([np.asarray(landmarks, np.float32), face_outline(landmarks)[17:]])


def mouth_openness(landmarks: np.ndarray) -> float:
    lm = np.asarray(landmarks, np.float32)
    return float(np.linalg.norm(lm[66] - lm[62]) / max(1.0, float(np.linalg.norm(lm[64] - lm[60]))))


def head_pose(landmarks: np.ndarray) -> np.ndarray:
    """2D proxies of yaw (nose between the jaw sides, -1..1) and pitch (nose height between eyes and chin)."""
    lm = np.asarray(landmarks, np.float32)
    nose, eyes = lm[30], lm[36:48].mean(0)
    left, right = np.linalg.norm(nose - lm[1]), np.linalg.norm(nose - lm[15])
    yaw = (left - right) / max(1.0, float(left + right))
    pitch = np.linalg.norm(nose - eyes) / max(1.0, float(np.linalg.norm(lm[8] - eyes)))
    return np.array([yaw, 2.0 * pitch], np.float32)


def upscale_small(image: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A face crop big enough to warp without blur (Lanczos + unsharp mask) and its landmarks."""
    lm = np.asarray(landmarks, np.float32)
    span = float(max(np.ptp(lm[:, 0]), np.ptp(lm[:, 1])))
    if span >= MIN_REFERENCE_PX or span <= 0:
        return image, lm
    f = min(4.0, MIN_REFERENCE_PX / span)
    h, w = image.shape[:2]
    x0, y0 = np.maximum(np.floor(lm.min(0) - 0.8 * span).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(lm.max(0) + 0.8 * span).astype(int), [w, h])
    up = cv2.resize(image[y0:y1, x0:x1], None, fx=f, fy=f, interpolation=cv2.INTER_LANCZOS4)
    soft = cv2.GaussianBlur(up, (0, 0), 0.6 * f)
    sharp = cv2.addWeighted(up, 1.5, soft, -0.5, 0)
    return np.ascontiguousarray(sharp), (lm - np.array([x0, y0], np.float32)) * f


@dataclass
class SwapResult:
    image: np.ndarray
    changed: np.ndarray  # bool [H, W]: pixels that may differ from the input frame
    distortion: float = 0.0  # the warp's distance from a similarity (dhcore.face.realism)
    mouth_kept: bool = False  # the frame's open inner mouth was kept


class LandmarkSwapper:
    name = "landmark_swap"

    def __init__(
        self, reference: ReferenceFace, reference_shape: float = 0.5, blend: str = "multiband",
        shading: float = 0.3, forehead: float = 0.15,
    ) -> None:  # fmt: skip
        self.image, landmarks = upscale_small(reference.image, reference.landmarks)
        self.points = swap_points(landmarks)
        self.triangles = Delaunay(self.points.astype(np.float64)).simplices.astype(np.int32)
        self.pose = head_pose(landmarks)
        self.reference_shape = float(reference_shape)
        self.blend = blend
        self.shading = float(shading)
        self.forehead = float(forehead)

    def target_points(self, landmarks: np.ndarray) -> np.ndarray:
        target = swap_points(landmarks)
        agreement = 1.0 - float(np.abs(head_pose(landmarks) - self.pose).max()) / POSE_TOLERANCE
        weight = self.reference_shape * float(np.clip(0.5 + 0.5 * agreement, 0.5, 1.0))
        if weight > 0:
            aligned = transform_points(self.points, similarity(self.points[:68], target[:68]))
            offset = aligned - target
            opened = float(np.clip(mouth_openness(landmarks) / 0.3, 0.0, 1.0))
            mouth = offset[48:68]  # an open mouth keeps the frame's shape, moved as a whole
            offset[48:68] = mouth.mean(0) + (1.0 - opened) * (mouth - mouth.mean(0))
            offset[4:13] *= 1.0 - opened  # a dropped jaw stays dropped
            target = target + weight * offset
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
        hull = face_outline(local[:68], lift=self.forehead)  # low enough to leave a cap or fringe behind
        cv2.fillConvexPoly(mask, cv2.convexHull(np.round(hull).astype(np.int32)), 255)
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
        warped = match_lab(warped, lab_stats(warped, inside), lab_stats(roi, inside), 1.0, max_ab_gain=1.5)
        if self.shading > 0:
            warped = match_shading(warped, roi, mask, max(2.0, 0.12 * size), self.shading)
        warped = match_sharpness(warped, roi, mask)
        mouth_kept = mouth_openness(landmarks) > MOUTH_OPEN
        if mouth_kept:  # the frame's own teeth, tongue and cavity show through the new lips
            lips = np.round(np.asarray(landmarks, np.float32)[60:68] - [x0, y0]).astype(np.int32)
            cv2.fillPoly(mask, [lips], 0)
        blended = self._blend(frame, roi, warped, mask, (int(x0), int(y0)), float(np.clip(weight, 0.0, 1.0)))
        out = frame.copy()
        out[y0:y1, x0:x1] = blended
        changed = np.zeros((h, w), bool)
        changed[y0:y1, x0:x1] = np.any(blended != roi, axis=2)
        return SwapResult(out, changed, warp_distortion(self.points, dst, self.triangles), mouth_kept)

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

    @staticmethod
    def _feather(mask: np.ndarray) -> np.ndarray:
        size = np.sqrt(float((mask > 0).sum()))
        k = max(1, int(round(size * 0.06)))
        inner = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1)))
        soft = cv2.GaussianBlur(inner.astype(np.float32) / 255.0, (0, 0), max(0.5, k / 2.0))
        return np.where(mask > 0, soft, 0.0).astype(np.float32)

    def _blend(
        self, frame: np.ndarray, roi: np.ndarray, warped: np.ndarray, mask: np.ndarray,
        origin: tuple[int, int], weight: float,
    ) -> np.ndarray:  # fmt: skip
        """The ROI with the warped face blended in (weight scales the new face's opacity)."""
        if self.blend == "multiband":
            return multiband(roi, warped, self._feather(mask) * weight)
        top, alpha = warped, self._feather(mask)
        if self.blend == "seamless":
            alpha = (mask > 0).astype(np.float32)
            bx, by, bw, bh = cv2.boundingRect(mask)
            centre = (origin[0] + bx + bw // 2, origin[1] + by + bh // 2)
            try:
                cloned = cv2.seamlessClone(warped, frame, mask, centre, cv2.NORMAL_CLONE)
                x0, y0 = origin
                top = cloned[y0 : y0 + roi.shape[0], x0 : x0 + roi.shape[1]]
            except cv2.error:  # a mask touching the frame border: the feathered blend instead
                alpha = self._feather(mask)
        a = (alpha * weight)[..., None]
        mixed = roi.astype(np.float32) * (1 - a) + top.astype(np.float32) * a
        return np.where(a > 0, np.clip(mixed + 0.5, 0, 255), roi).astype(np.uint8)
