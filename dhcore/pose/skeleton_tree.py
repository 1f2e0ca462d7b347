"""The keypoints as one tree rooted at the neck, and the rebuild that retargets it.

All 128 points of a frame (18 body, 2x21 hands, 68 face) are flattened into one array;
every point has a parent. `rebuild` re-grows each frame from the neck outward: a point
becomes its anchor + scale * (its offset from the anchor in the driving frame), so bone
directions come from the driving frame and bone lengths are multiplied by the scale.

Missing points (confidence under the threshold or NaN) stay missing and are never moved.
A visible point whose parent is missing hangs from its nearest visible ancestor with the
mean scale of the bones in between; a frame whose neck is missing uses a virtual neck
interpolated in time from the frames around it (the neck itself stays missing in the output).
"""

from __future__ import annotations

import numpy as np

from dhcore.pose.keypoints import HAND_BONES, N_BODY, N_FACE, N_HAND, J, PoseSequence

LEFT_HAND, RIGHT_HAND, FACE = N_BODY, N_BODY + N_HAND, N_BODY + 2 * N_HAND
N_POINTS = FACE + N_FACE
ROOT = J["neck"]


def flatten(pose: PoseSequence) -> np.ndarray:
    """[F, 128, 3]: body, left hand, right hand, face."""
    f = len(pose)
    return np.concatenate([pose.body, pose.hands.reshape(f, 2 * N_HAND, 3), pose.face], axis=1).astype(
        np.float64
    )


def unflatten(points: np.ndarray, width: int, height: int, fps: float) -> PoseSequence:
    f = points.shape[0]
    p = points.astype(np.float32)
    return PoseSequence(
        np.ascontiguousarray(p[:, :N_BODY]),
        np.ascontiguousarray(p[:, N_BODY:FACE].reshape(f, 2, N_HAND, 3)),
        np.ascontiguousarray(p[:, FACE:]),
        width, height, fps,
    )  # fmt: skip


def visible(points: np.ndarray, min_confidence: float) -> np.ndarray:
    return (points[..., 2] >= min_confidence) & np.isfinite(points[..., 0]) & np.isfinite(points[..., 1])


def body_parents(ears_on_eyes: bool = False) -> np.ndarray:
    """Parent of every flat point; the neck is its own parent."""
    parent = np.zeros(N_POINTS, dtype=np.int64)
    body = {
        "neck": "neck", "nose": "neck", "r_shoulder": "neck", "l_shoulder": "neck",
        "r_elbow": "r_shoulder", "l_elbow": "l_shoulder", "r_wrist": "r_elbow", "l_wrist": "l_elbow",
        "r_hip": "neck", "l_hip": "neck", "r_knee": "r_hip", "l_knee": "l_hip",
        "r_ankle": "r_knee", "l_ankle": "l_knee", "r_eye": "nose", "l_eye": "nose",
        "r_ear": "r_eye" if ears_on_eyes else "nose", "l_ear": "l_eye" if ears_on_eyes else "nose",
    }  # fmt: skip
    for child, par in body.items():
        parent[J[child]] = J[par]
    for start, wrist in ((LEFT_HAND, J["l_wrist"]), (RIGHT_HAND, J["r_wrist"])):
        parent[start] = wrist
        for a, b in HAND_BONES:
            parent[start + b] = start + a
    parent[FACE:] = J["nose"]
    return parent


def topological_order(parent: np.ndarray) -> list[int]:
    """Points ordered so that every parent comes before its children, the root first."""
    depth = np.zeros(len(parent), dtype=np.int64)
    for p in range(len(parent)):
        q, d = p, 0
        while parent[q] != q:
            q, d = parent[q], d + 1
        depth[p] = d
    return [int(i) for i in np.argsort(depth, kind="stable")]


def virtual_root(xy: np.ndarray, vis: np.ndarray) -> np.ndarray:
    """Root positions [F, 2]; frames without a visible root get a linear interpolation in time."""
    frames = np.arange(len(xy))
    ok = vis[:, ROOT]
    if not ok.any():
        raise ValueError("the root (neck) is missing in every frame")
    out = xy[:, ROOT].copy()
    for k in range(2):
        out[~ok, k] = np.interp(frames[~ok], frames[ok], xy[ok, ROOT, k])
    return out


def rebuild(
    xy: np.ndarray, vis: np.ndarray, parent: np.ndarray, scale: np.ndarray, offset: np.ndarray
) -> np.ndarray:
    """Retarget every frame: xy [F, P, 2] (common units), vis [F, P], per-point scale [P].

    Returns [F, P, 2]; missing points are NaN. The root is moved by `offset` only.
    """
    f, p = vis.shape
    out = np.full((f, p, 2), np.nan)
    anchor_in = np.empty((f, p, 2))
    anchor_out = np.empty((f, p, 2))
    pending_sum = np.zeros((f, p))  # scales of missing points between a point and its anchor
    pending_n = np.zeros((f, p))
    root = virtual_root(xy, vis)
    anchor_in[:, ROOT] = root
    anchor_out[:, ROOT] = root + offset
    out[vis[:, ROOT], ROOT] = xy[vis[:, ROOT], ROOT] + offset
    for i in topological_order(parent):
        if i == ROOT:
            continue
        q = parent[i]
        s_eff = (pending_sum[:, q] + scale[i]) / (pending_n[:, q] + 1)
        moved = anchor_out[:, q] + s_eff[:, None] * (xy[:, i] - anchor_in[:, q])
        ok = vis[:, i]
        out[ok, i] = moved[ok]
        anchor_in[:, i] = np.where(ok[:, None], xy[:, i], anchor_in[:, q])
        anchor_out[:, i] = np.where(ok[:, None], moved, anchor_out[:, q])
        pending_sum[:, i] = np.where(ok, 0.0, pending_sum[:, q] + scale[i])
        pending_n[:, i] = np.where(ok, 0.0, pending_n[:, q] + 1)
    return out
