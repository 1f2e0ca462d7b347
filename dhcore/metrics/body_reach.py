"""Where a body with a given skeleton can be: the region body_integrity allows person matter in.

Drawn from the skeleton re-detected in the same output frame (OpenPose-18, normalized), so it
knows nothing of the animator: capsules along the limbs (LIMB_WIDTH of the body size, hands and
feet reaching past the wrists and ankles), the torso polygon (down to the frame's bottom edge when
the hips are below it: a half-body shot), and a disc around the head. The body size is the larger
of the shoulder width and the torso length, so a turned or bent body keeps its size.
"""

from __future__ import annotations

import cv2
import numpy as np

from dhcore.pose.keypoints import BODY_LIMBS, J

#: a limb capsule's radius, and the head disc's, as shares of the body size
LIMB_WIDTH, HEAD_RADIUS = 0.22, 0.45
#: how far hands and feet reach past the wrist or ankle, as a share of the forearm or shin
HAND_REACH = 0.4
_FACE = (J["nose"], J["r_eye"], J["l_eye"], J["r_ear"], J["l_ear"])
_EXTREMITIES = ((J["r_elbow"], J["r_wrist"]), (J["l_elbow"], J["l_wrist"]),
                (J["r_knee"], J["r_ankle"]), (J["l_knee"], J["l_ankle"]))  # fmt: skip


def body_size(xy: np.ndarray, seen: np.ndarray) -> float:
    """The larger of shoulder width and neck-to-hips length, in pixels (0 without both)."""
    rs, ls, neck, rh, lh = (J[n] for n in ("r_shoulder", "l_shoulder", "neck", "r_hip", "l_hip"))
    width = float(np.linalg.norm(xy[rs] - xy[ls])) if seen[rs] and seen[ls] else 0.0
    length = float(np.linalg.norm((xy[rh] + xy[lh]) / 2 - xy[neck])) if seen[[neck, rh, lh]].all() else 0.0
    return max(width, length)


def _pixels(body: np.ndarray, shape: tuple[int, int], min_confidence: float) -> tuple[np.ndarray, np.ndarray]:
    xy = np.nan_to_num(body[:, :2]) * (shape[1], shape[0])
    return xy, (body[:, 2] >= min_confidence) & np.isfinite(body[:, 0])


def size_in(body: np.ndarray, shape: tuple[int, int], min_confidence: float = 0.3) -> float:
    """The body size of a body [18, 3] (normalized) in the pixels of a frame of `shape`."""
    return body_size(*_pixels(body, shape, min_confidence))


def reach(body: np.ndarray, shape: tuple[int, int], min_confidence: float = 0.3) -> np.ndarray:
    """bool [H, W]: the region of a body [18, 3] (normalized x, y, confidence); empty without a body size."""
    h = shape[0]
    xy, seen = _pixels(body, shape, min_confidence)
    out = np.zeros(shape, np.uint8)
    size = body_size(xy, seen)
    if size <= 0:
        return out > 0
    thick = max(2, round(2 * LIMB_WIDTH * size))
    pt = lambda p: (int(round(p[0])), int(round(p[1])))  # noqa: E731
    for a, b in BODY_LIMBS:
        if seen[a] and seen[b] and a not in _FACE and b not in _FACE:
            cv2.line(out, pt(xy[a]), pt(xy[b]), 1, thick)
    for joint, end in _EXTREMITIES:
        if seen[joint] and seen[end]:
            cv2.line(out, pt(xy[end]), pt(xy[end] + HAND_REACH * (xy[end] - xy[joint])), 1, thick)
    rs, ls, rh, lh = (J[n] for n in ("r_shoulder", "l_shoulder", "r_hip", "l_hip"))
    corners = [i for i in (rs, ls, lh, rh) if seen[i]]
    if len(corners) >= 3:
        cv2.fillPoly(out, [np.round(xy[corners]).astype(np.int32)], 1)
    elif seen[rs] and seen[ls]:
        a, b = pt(xy[rs]), pt(xy[ls])
        cv2.fillPoly(out, [np.array([a, b, (b[0], h - 1), (a[0], h - 1)], np.int32)], 1)
    face = [i for i in _FACE if seen[i]]
    if face:
        centre = pt(xy[face].mean(axis=0))
        cv2.circle(out, centre, max(2, round(HEAD_RADIUS * size)), 1, -1)
        if seen[J["neck"]]:
            cv2.line(out, centre, pt(xy[J["neck"]]), 1, thick)
    return out > 0
