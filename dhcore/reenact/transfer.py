"""Relative motion transfer between two faces' meshes, and the head pose both figures compare.

The driver's motion is what changed since its first frame: a similarity (turn in the image plane,
scale, shift) of its rigid points, and what is left once that is undone (the expression, including
the parallax of small turns out of the plane). The source gets the same similarity about its own
face and the residual rescaled from the driver's face (eye distances, in the face's own axes) to its
own: source_t = S_t(source_0 + R_s (D_t^-1 driver_t - driver_0) / iod_d * iod_s).
"""

from __future__ import annotations

import numpy as np

from dhcore.facemesh.expressions import face_frame
from dhcore.facemesh.landmarks import FACE_OVAL

#: points that move only with the head (eye corners, nose bridge and tip, the face outline)
RIGID = [33, 133, 362, 263, 168, 6, 1, *FACE_OVAL]


def similarity(a: np.ndarray, b: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(scale, angle in radians, translation) with b ~ scale * R(angle) a + t (2-D, least squares)."""
    ca, cb = a.mean(0), b.mean(0)
    a0, b0 = a - ca, b - cb
    cross = (a0[:, 0] * b0[:, 1] - a0[:, 1] * b0[:, 0]).sum()
    dot = (a0 * b0).sum()
    angle = float(np.arctan2(cross, dot))
    scale = float(np.hypot(cross, dot) / max((a0**2).sum(), 1e-9))
    r = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return scale, angle, cb - scale * (r @ ca)


def _apply(p: np.ndarray, scale: float, angle: float, t: np.ndarray) -> np.ndarray:
    r = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return scale * p @ r.T + t


def transfer(source: np.ndarray, driver0: np.ndarray, driver: np.ndarray,
             expression: float = 1.0, head: float = 1.0) -> np.ndarray:  # fmt: skip
    """The source's points [478, 3] moved as the driver moved from `driver0` to `driver` (both [478, 3])."""
    d0, dt = driver0[:, :2].astype(np.float64), driver[:, :2].astype(np.float64)
    scale, angle, t = similarity(d0[RIGID], dt[RIGID])
    undone = _apply(dt - t, 1.0 / scale, 0.0, np.zeros(2))
    undone = _apply(undone, 1.0, -angle, np.zeros(2))
    _, rot_d, iod_d = face_frame(driver0)
    origin_s, rot_s, iod_s = face_frame(source)
    residual = ((undone - d0) @ rot_d) / iod_d  # the driver's face axes, eye distances
    moved = source[:, :2].astype(np.float64) + expression * (residual * iod_s) @ rot_s.T
    centre_d = d0[RIGID].mean(0)
    shift = (_apply(centre_d, scale, angle, t) - centre_d) @ rot_d / iod_d  # the head's shift, face units
    centre_s = source[RIGID, :2].mean(0)
    scale_s, angle_s = 1.0 + head * (scale - 1.0), head * angle
    out = source.astype(np.float64).copy()
    out[:, :2] = _apply(moved - centre_s, scale_s, angle_s, centre_s) + head * (shift * iod_s) @ rot_s.T
    return out.astype(np.float32)


def head_rotation(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The 3-D rotation (Kabsch, on the rigid points scaled to unit size) taking `reference` to `points`."""
    a, b = (x[RIGID].astype(np.float64) for x in (reference, points))
    a, b = a - a.mean(0), b - b.mean(0)
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    u, _, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt))
    return u @ np.diag([1.0, 1.0, d]) @ vt


def rotation_angle(r: np.ndarray) -> float:
    """The angle (degrees) of a rotation matrix."""
    return float(np.degrees(np.arccos(np.clip((np.trace(r) - 1) / 2, -1.0, 1.0))))
