"""Which way the driver faces, and back views turned into front views.

A 2D animator has only the photo's front view. When the driver turns away, the pose detector
(correctly) puts the person's right shoulder on the image's right; driving the photo's right
arm there makes the limbs cross the body and the figure look mirrored. Frames whose facing
differs from the photo's get left and right swapped (so each limb stays on its side of the
image, i.e. the back view is shown as a front view) and lose their face points (a face seen
from behind is a guess). Facing is read from the shoulder and hip order relative to the torso
size; side views are ambiguous and keep the facing of the frames before them (the face's
visibility decides where no earlier frame did).
"""

from __future__ import annotations

import numpy as np

from dhcore.pose import skeleton_tree as tree
from dhcore.pose.keypoints import J

#: |order| / torso length under this is a side view: the facing is not decided by that frame
SIDE_VIEW = 0.12
_PAIRS = [(J[n], J["l_" + n[2:]]) for n in J if n.startswith("r_")]


def facing(points: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """Per frame +1 (seen from the front: the person's right on the image's left), -1 (from
    behind) or 0 (undecided). points: [F, 128, 3] in common units (x times aspect)."""
    xy = points[..., :2]
    order = np.zeros(len(xy))
    counted = np.zeros(len(xy), bool)
    for rj, lj in ((J["r_shoulder"], J["l_shoulder"]), (J["r_hip"], J["l_hip"])):
        both = visible[:, rj] & visible[:, lj]
        order += np.where(both, np.nan_to_num(xy[:, lj, 0] - xy[:, rj, 0]), 0.0)
        counted |= both
    mid_hip = (xy[:, J["r_hip"]] + xy[:, J["l_hip"]]) / 2
    torso = np.linalg.norm(xy[:, J["neck"]] - mid_hip, axis=-1)
    torso_ok = visible[:, J["neck"]] & visible[:, J["r_hip"]] & visible[:, J["l_hip"]]
    head = 3.0 * np.linalg.norm(xy[:, J["neck"]] - xy[:, J["nose"]], axis=-1)
    head_ok = visible[:, J["neck"]] & visible[:, J["nose"]]
    size = np.where(torso_ok, torso, np.where(head_ok, head, np.nan))
    ratio = np.where(
        counted & np.isfinite(size) & (size > 1e-6), order / np.where(size > 1e-6, size, 1.0), 0.0
    )
    side = np.where(ratio > SIDE_VIEW, 1, np.where(ratio < -SIDE_VIEW, -1, 0))
    face = visible[:, J["nose"]] & visible[:, J["r_eye"]] & visible[:, J["l_eye"]]
    return np.where(side != 0, side, np.where(face & (points[:, J["nose"], 2] >= 0.5), 1, 0))


def as_front_views(
    points: np.ndarray, visible: np.ndarray, photo_facing: int, aspect: float
) -> tuple[np.ndarray, np.ndarray]:
    """(points with left/right swapped in the frames facing away from the photo's view, which
    frames were swapped). points: [F, 128, 3] normalized by their own image (x/W, y/H) of this
    aspect (W/H). Undecided frames take the facing of the frame before them."""
    common = points.copy()
    common[..., 0] *= aspect
    raw = facing(common, visible)
    state = photo_facing if photo_facing != 0 else 1
    flipped = np.zeros(len(points), bool)
    for f, side in enumerate(raw):
        state = side if side != 0 else state
        flipped[f] = state != (photo_facing or 1)
    if not flipped.any():
        return points, flipped
    out = points.copy()
    for rj, lj in _PAIRS:
        out[flipped, rj], out[flipped, lj] = points[flipped, lj], points[flipped, rj]
    left = slice(tree.LEFT_HAND, tree.RIGHT_HAND)
    right = slice(tree.RIGHT_HAND, tree.FACE)
    out[flipped, left], out[flipped, right] = points[flipped, right], points[flipped, left]
    out[flipped, tree.FACE :] = (np.nan, np.nan, 0.0)
    return out, flipped


def depth_as_front_views(depth: np.ndarray, flipped: np.ndarray) -> np.ndarray:
    """Body depth [F, 18] for the frames `as_front_views` swapped: left and right swapped too, and
    front and back (what was nearest the camera from behind is the back of the front view)."""
    out = depth.copy()
    for rj, lj in _PAIRS:
        out[flipped, rj], out[flipped, lj] = depth[flipped, lj], depth[flipped, rj]
    out[flipped] = -out[flipped]
    return out
