"""Keeping the retargeted figure inside the output frame.

Root motion follows the driver (scaled to the reference body), so a driver who walks across a
wide shot or away from the camera would carry a large photo figure out of the frame, head
first. Per frame, the smallest shift that keeps the head (face points plus a head-sized margin,
more above for hair) and the joints the photo shows inside the frame is added to every point.
Where both cannot fit, the head wins. Frames in which the driver's own head is outside its
frame (or not seen) are not constrained by the head: the figure may leave where the driver did.
"""

from __future__ import annotations

import numpy as np

from dhcore.pose.keypoints import N_BODY, J

HEAD = [J[n] for n in ("nose", "r_eye", "l_eye", "r_ear", "l_ear")]


def _shift(lo: np.ndarray, hi: np.ndarray, size: float) -> float | None:
    """Smallest shift moving [lo, hi] intervals inside [0, size]; None if they cannot fit."""
    if lo.size == 0:
        return 0.0
    need_min, need_max = -float(lo.min()), size - float(hi.max())  # shift >= need_min, <= need_max
    if need_min > need_max:
        return None
    return min(max(0.0, need_min), need_max)


def keep_in_frame(
    points: np.ndarray, visible: np.ndarray, reference: np.ndarray, ref_visible: np.ndarray,
    driver_head_in_frame: np.ndarray, width: int, height: int,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """points [F, 128, 3] normalized output coords (visible [F, 128]); reference [128, 3] the photo's
    pose in the same coords. Returns (shifted points, per-frame shift [F, 2] in pixels)."""
    px = points[..., :2] * (width, height)
    ref_px = reference[:, :2] * (width, height)
    neck_nose = np.linalg.norm(ref_px[J["neck"]] - ref_px[J["nose"]])
    if not (ref_visible[J["neck"]] and ref_visible[J["nose"]]) or not np.isfinite(neck_nose):
        neck_nose = 0.1 * min(width, height)
    radius = 0.6 * float(neck_nose)
    inside_ref = np.zeros(N_BODY, bool)
    inside_ref[:] = (
        ref_visible[:N_BODY] & (ref_px[:N_BODY] >= 0).all(1) & (ref_px[:N_BODY] <= (width, height)).all(1)
    )
    shifts = np.zeros((len(points), 2))
    for f in range(len(points)):
        head = [j for j in HEAD if visible[f, j]] if driver_head_in_frame[f] else []
        body = [j for j in range(N_BODY) if visible[f, j] and inside_ref[j]]
        for axis, size in ((0, width), (1, height)):
            before, after = (radius, radius) if axis == 0 else (1.5 * radius, radius)  # hair above
            h_lo = px[f, head, axis] - before
            h_hi = px[f, head, axis] + after
            b = px[f, body, axis]
            both = _shift(np.concatenate([h_lo, b]), np.concatenate([h_hi, b]), size)
            s = both if both is not None else _shift(h_lo, h_hi, size)
            if s is None:  # a head larger than the frame: centre it
                s = size / 2 - float((h_lo.min() + h_hi.max()) / 2)
            shifts[f, axis] = s
    out = points.copy()
    out[..., :2] += np.where(visible[..., None], shifts[:, None, :] / (width, height), 0.0)
    return out, shifts
