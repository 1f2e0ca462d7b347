"""Expressions and head pose as moves of the mesh's points (in the face's own frame, scaled by the
distance between the eyes), so one setting means the same on any face, size or tilt.

Strengths: jaw_open, eyes_closed 0..1; smile, mouth_width, brow, gaze_x, gaze_y -1..1 (negative: frown,
rounded lips, brows down, look image-left/up); eyes_closed -1 opens the eyes wide.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from dhcore.facemesh import landmarks as lm
from dhcore.facemesh.landmarks import BROWS, EYES, IRISES, MOUTH_CORNERS, eye_centres

#: how far each full-strength move goes, in eye distances
JAW_DROP = 0.42
SMILE_OUT, SMILE_UP = 0.10, 0.09
WIDEN = 0.08
BROW_LIFT = 0.13
GAZE_SHIFT = 0.32  # of the eye's half width
LID_SKIN = 0.22  # how far above a closing lid the skin follows it


@dataclass(frozen=True)
class Expression:
    jaw_open: float = 0.0
    smile: float = 0.0
    mouth_width: float = 0.0
    eyes_closed: float = 0.0
    eye_left_closed: float = 0.0
    eye_right_closed: float = 0.0
    brow: float = 0.0
    gaze_x: float = 0.0
    gaze_y: float = 0.0

    def plus(self, other: Expression) -> Expression:
        return Expression(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})


@dataclass(frozen=True)
class HeadPose:
    """Degrees (yaw: image-right positive, pitch: nod down positive, roll: clockwise) and a shift in
    eye distances."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    dx: float = 0.0
    dy: float = 0.0


def face_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Origin (between the eyes), rotation (columns: the face's x and y axes in the image), eye distance."""
    a, b = eye_centres(points)
    x = (b - a) / np.linalg.norm(b - a)
    rot = np.array([[x[0], -x[1]], [x[1], x[0]]])
    return (a + b) / 2, rot, float(np.linalg.norm(b - a))


def _ramp(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip((v - lo) / (hi - lo), 0.0, 1.0) if hi != lo else (v >= hi).astype(np.float64)


def apply(points: np.ndarray, expr: Expression) -> np.ndarray:
    """`points` [478, 2|3] moved to show `expr` (z untouched)."""
    origin, rot, iod = face_frame(points)
    local = (points[:, :2] - origin) @ rot / iod  # face frame, eye distances, y down
    moved = local.copy()
    corners = local[list(MOUTH_CORNERS)]
    mid_x, half_w = corners[:, 0].mean(), max(1e-3, (corners[1, 0] - corners[0, 0]) / 2)
    corner_y = corners[:, 1].mean()
    lower_lip_y = local[lm.LIPS_OUTER_LOWER[5], 1]
    chin_y = local[lm.CHIN, 1]
    side = np.clip((local[:, 0] - mid_x) / half_w, -1.5, 1.5)  # -1 left corner, +1 right corner
    near_mouth = np.exp(
        -(((local[:, 0] - mid_x) / (1.6 * half_w)) ** 2 + ((local[:, 1] - corner_y) / 0.45) ** 2)
    )

    if expr.jaw_open:
        below = _ramp(local[:, 1], corner_y, lower_lip_y)
        lower = lm.LIPS_INNER_LOWER[1:-1] + lm.LIPS_OUTER_LOWER[1:-1]
        below[lower] = 0.45 + 0.55 * (1 - np.clip(np.abs(side[lower]), 0, 1) ** 2)  # an oval, not a box
        below[list(MOUTH_CORNERS) + [78, 308]] = 0.45
        below[lm.LIPS_INNER_UPPER[1:-1]] = -0.12  # the upper lip lifts a little: teeth show
        fade = 1.0 - _ramp(np.abs(local[:, 0] - mid_x), 1.2, 2.2)  # jaw corners by the ears move less
        fade = np.where(local[:, 1] > chin_y - 0.4, np.maximum(fade, 0.6), fade)
        moved[:, 1] += expr.jaw_open * JAW_DROP * below * fade
    if expr.smile or expr.mouth_width:
        weight = near_mouth * np.clip(np.abs(side), 0, 1) ** 1.5
        moved[:, 0] += (expr.smile * SMILE_OUT + expr.mouth_width * WIDEN) * weight * np.sign(side)
        moved[:, 1] -= expr.smile * SMILE_UP * weight
        if expr.mouth_width < 0:  # rounded lips push forward: a little fuller
            lips = np.array(lm.LIPS_OUTER_UPPER + lm.LIPS_OUTER_LOWER)
            moved[lips, 1] += -expr.mouth_width * 0.05 * np.sign(local[lips, 1] - corner_y)
    for eye, own in (("right", expr.eye_right_closed), ("left", expr.eye_left_closed)):
        _eye(local, moved, eye, expr.eyes_closed + own, expr.gaze_x, expr.gaze_y)
    if expr.brow:
        for brow in BROWS.values():
            moved[brow, 1] -= expr.brow * BROW_LIFT
        eye_y = local[EYES["right"][0] + EYES["left"][0], 1].mean()
        brow_y = local[BROWS["right"] + BROWS["left"], 1].mean()
        between = _ramp(-local[:, 1], -eye_y, -brow_y) * (local[:, 1] < eye_y)
        between[BROWS["right"] + BROWS["left"]] = 0
        moved[:, 1] -= expr.brow * BROW_LIFT * 0.5 * between * (np.abs(local[:, 0]) < 1.3)
    out = points.astype(np.float64).copy()
    out[:, :2] = (moved * iod) @ rot.T + origin
    return out.astype(np.float32)


def _eye(local: np.ndarray, moved: np.ndarray, eye: str, closed: float, gx: float, gy: float) -> None:
    upper, lower = EYES[eye]
    iris = IRISES[eye]
    half_w = (local[upper[-1], 0] - local[upper[0], 0]) / 2
    if gx or gy:
        moved[iris, 0] += gx * GAZE_SHIFT * abs(half_w)
        moved[iris, 1] += gy * GAZE_SHIFT * 0.5 * abs(half_w)
    closed = float(np.clip(closed, -1.0, 1.0))
    if not closed:
        return
    # every upper-lid and iris point keeps its share of the gap to the lower lid below it
    lower_x, lower_y = local[lower, 0], local[lower, 1]
    order = np.argsort(lower_x)
    pts = upper[1:-1] + iris
    floor = np.interp(moved[pts, 0], lower_x[order], lower_y[order])
    keep = (1.0 - 0.97 * closed) if closed > 0 else (1.0 - 0.35 * closed)
    moved[pts, 1] = floor - (floor - moved[pts, 1]) * keep
    if closed > 0:  # the iris goes under the lid; the skin above the lid follows it down
        moved[iris, 1] = np.minimum(moved[iris, 1], floor[-len(iris) :])
        lid_x, lid_y = local[upper, 0], local[upper, 1]
        inside = (local[:, 0] > lid_x.min()) & (local[:, 0] < lid_x.max())
        lid_at = np.interp(local[:, 0], lid_x, lid_y)
        above = lid_at - local[:, 1]
        skin = inside & (above > 0.01) & (above < LID_SKIN)
        skin[upper + iris] = False
        drop = (np.interp(local[:, 0], lower_x[order], lower_y[order]) - lid_at) * closed * 0.8
        moved[skin, 1] += drop[skin] * (1 - above[skin] / LID_SKIN)


def head_move(points: np.ndarray, pose: HeadPose) -> np.ndarray:
    """The face's points turned by `pose` in 3-D about the head's centre (orthographic), then shifted."""
    _, _, iod = face_frame(points)
    oval = points[lm.FACE_OVAL]
    centre = oval.mean(0)
    centre[2] = points[:, 2].mean() + 0.6 * iod  # the pivot sits behind the face
    yaw, pitch, roll = np.radians([pose.yaw, pose.pitch, pose.roll])
    ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    rx = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]])
    rz = np.array([[np.cos(roll), -np.sin(roll), 0], [np.sin(roll), np.cos(roll), 0], [0, 0, 1]])
    p = (points.astype(np.float64) - centre) @ (rz @ rx @ ry).T + centre
    p[:, 0] += pose.dx * iod
    p[:, 1] += pose.dy * iod
    return p.astype(np.float32)


def closing_jaw(points: np.ndarray) -> float:
    """The (negative) jaw_open that brings the inner lips together at the centre: the rest pose of an
    open-mouthed photo."""
    _, _, iod = face_frame(points)
    gap = float(np.linalg.norm(points[14, :2] - points[13, :2])) / iod
    return -gap / (JAW_DROP * 0.9) if gap > 0.02 else 0.0  # a little past the gap: the mesh sees lips meet
