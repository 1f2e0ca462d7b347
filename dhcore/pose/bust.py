"""A photo cut below the shoulders (a bust: no hip shown) driven by a whole body.

The bust cannot turn in depth: its shoulder line tilts only as far as a person's shoulders do when
they lean, and its head swings about the neck only that far and a head's tilt more. A driver seen
from the side overlaps its shoulders, tilting their line 30-45 degrees, and has its face well
ahead of its neck, 50-70 degrees off upright (dance_real's walker_half_body): followed, the
portrait turned like a cardboard cut-out, the photo's straight bottom cut running across the
canvas. So the retargeted pose of a bust keeps its shoulder line within LEAN of the photo's and
its head within HEAD_SWING of the photo's direction from the neck, each turned about the neck
(an arm moves with its shoulder); the warp animator holds its torso to the same LEAN.
"""

from __future__ import annotations

import numpy as np

from dhcore.pose.keypoints import FACE_JOINTS, N_HAND, J
from dhcore.pose.skeleton_tree import FACE, LEFT_HAND, N_POINTS, RIGHT_HAND

#: degrees a bust's shoulder line may tilt from the photo's
LEAN = 12.0
#: degrees a portrait's head may swing about its neck from where the photo has it, turned with the
#: torso (the warp animator holds it there: dhcore/animate/warp/skeleton.py _NECK_BEND)
NECK_BEND = 15.0
#: degrees the bust's head may swing about its neck from the photo's direction: the lean plus the bend
HEAD_SWING = LEAN + NECK_BEND
#: what moves with each shoulder: its arm and hand
_ARMS = {
    J["r_shoulder"]: [J["r_elbow"], J["r_wrist"], *range(RIGHT_HAND, RIGHT_HAND + N_HAND)],
    J["l_shoulder"]: [J["l_elbow"], J["l_wrist"], *range(LEFT_HAND, LEFT_HAND + N_HAND)],
}
#: what turns with the head: its body points and the face's 68 landmarks
_HEAD_POINTS = [*FACE_JOINTS, *range(FACE, N_POINTS)]


def _wrap(a: float) -> float:
    return (a + np.pi) % (2 * np.pi) - np.pi


def _excess(angle: float, limit_deg: float) -> float:
    """The part of an angle (radians) beyond +-limit."""
    limit = np.deg2rad(limit_deg)
    return angle - float(np.clip(angle, -limit, limit))


def _turn(xy: np.ndarray, about: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    d = xy - about
    return about + np.stack([c * d[..., 0] - s * d[..., 1], s * d[..., 0] + c * d[..., 1]], axis=-1)


def lean_limited(
    points: np.ndarray, visible: np.ndarray, reference: np.ndarray, ref_visible: np.ndarray,
    width: int, height: int,
) -> np.ndarray:  # fmt: skip
    """points [F, 128, 3] (skeleton_tree's flat layout) normalized output coords, visible [F, 128];
    reference [128, 3] the photo's pose there. Each frame's shoulders and head turned about the
    neck into the bust's limits."""
    size = np.array([width, height], float)
    ref = reference[:, :2] * size
    neck, r_sh, l_sh = J["neck"], J["r_shoulder"], J["l_shoulder"]
    if not (ref_visible[neck] and ref_visible[r_sh] and ref_visible[l_sh]):
        return points
    photo_line = ref[l_sh] - ref[r_sh]
    photo_line_angle = float(np.arctan2(photo_line[1], photo_line[0]))
    ref_head = [j for j in FACE_JOINTS if ref_visible[j]]
    photo_up = ref[ref_head].mean(0) - ref[neck] if ref_head else None
    out = points.copy()
    for f in range(len(points)):
        vis = visible[f]
        if not vis[neck]:
            continue
        xy = out[f, :, :2] * size
        centre = xy[neck].copy()
        if vis[r_sh] and vis[l_sh]:
            line = xy[l_sh] - xy[r_sh]
            tilt = _wrap(float(np.arctan2(line[1], line[0])) - photo_line_angle)
            excess = _excess(tilt, LEAN)
            if excess and abs(tilt) < np.pi / 2:  # past 90 degrees: a back view kept as detected, no lean
                for shoulder, arm in _ARMS.items():
                    xy[[shoulder, *arm]] += _turn(xy[shoulder], centre, -excess) - xy[shoulder]
        head = [j for j in FACE_JOINTS if vis[j]]
        if photo_up is not None and head:
            up = xy[head].mean(0) - centre
            turn = float(np.arctan2(up[1], up[0]) - np.arctan2(photo_up[1], photo_up[0]))
            excess = _excess(_wrap(turn), HEAD_SWING)
            if excess:
                xy[_HEAD_POINTS] = _turn(xy[_HEAD_POINTS], centre, -excess)
        out[f, :, :2] = np.where(vis[:, None], xy / size, points[f, :, :2])
    return out
