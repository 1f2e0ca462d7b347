"""Keeping the retargeted figure inside the output frame.

Root motion follows the driver (scaled to the reference body), so a driver who walks across a
wide shot or away from the camera would carry a large photo figure out of the frame, head
first. Per frame, the smallest shift that keeps the head (face points plus a head-sized margin,
more above for hair), the feet (a foot's height below each ankle: an ankle on the frame's edge
leaves the foot outside) and the joints the photo shows inside the frame is added to every point.
A photo cut below the shoulders (no hip shown: a portrait, a half-body shot) shows the body down to
its bottom edge; its neck and shoulders keep about their distance to that edge (a head radius
less), so a driver walking towards the camera does not sink the figure out through the bottom,
leaving a head over a strip of collar.
A figure whose head, trunk and legs are taller or wider than the frame (a large photo body
retargeted onto a driver who comes close to the camera) is first shrunk about its middle until it fits, the shrink eased over a few
frames; where both still cannot fit, the head wins. Frames in which the driver's own head is outside its
frame (or not seen) are not constrained by the head: the figure may leave where the driver did.
"""

from __future__ import annotations

import numpy as np

from dhcore.pose.keypoints import N_BODY, J

HEAD = [J[n] for n in ("nose", "r_eye", "l_eye", "r_ear", "l_ear")]
#: joints whose reach may shrink the figure: not the arms (a raised arm leaving the frame for a
#: moment is better than the whole figure pumping in size with it)
SIZED = [j for j in range(N_BODY) if j not in {J[n] for n in ("r_elbow", "r_wrist", "l_elbow", "l_wrist")}]
ANKLES = (J["r_ankle"], J["l_ankle"])
HIPS = (J["r_hip"], J["l_hip"])
#: what of a portrait keeps its distance to the photo's bottom edge
CUT_TOP = (J["neck"], J["r_shoulder"], J["l_shoulder"])


def _shift(lo: np.ndarray, hi: np.ndarray, size: float) -> float | None:
    """Smallest shift moving [lo, hi] intervals inside [0, size]; None if they cannot fit."""
    if lo.size == 0:
        return 0.0
    need_min, need_max = -float(lo.min()), size - float(hi.max())  # shift >= need_min, <= need_max
    if need_min > need_max:
        return None
    return min(max(0.0, need_min), need_max)


#: frames over which a needed shrink is eased in and out (a min filter, then a mean, of this width)
SCALE_EASE = 9
#: share of the frame the figure may fill when it has to be shrunk
FILL = 0.98


def keep_in_frame(
    points: np.ndarray, visible: np.ndarray, reference: np.ndarray, ref_visible: np.ndarray,
    driver_head_in_frame: np.ndarray, width: int, height: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """points [F, 128, 3] normalized output coords (visible [F, 128]); reference [128, 3] the photo's
    pose in the same coords. Returns (framed points, per-frame shift [F, 2] in pixels, per-frame
    scale [F]): a figure taller or wider than the frame is first shrunk about its middle."""
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
    below = _below(ref_px[:, 1], inside_ref, radius, height)
    body_ref = [j for j in SIZED if inside_ref[j]]
    head_ref = [j for j in HEAD if ref_visible[j]]
    spans = []  # per frame and axis: (head lo, head hi, body points)
    raw_scale = np.ones(len(points))
    for f in range(len(points)):
        head = [j for j in HEAD if visible[f, j]] if driver_head_in_frame[f] else []
        body = [j for j in range(N_BODY) if visible[f, j] and inside_ref[j]]
        axes = []
        for axis, size in ((0, width), (1, height)):
            h_lo, h_hi = _head_span(px[f, head, axis], axis, radius)
            axes.append((h_lo, h_hi, *_body_span(px[f, :, axis], body, axis, below)))
            s_lo, s_hi = _body_span(px[f, :, axis], [j for j in body if j in SIZED], axis, below)
            lo, hi = np.concatenate([h_lo, s_lo]), np.concatenate([h_hi, s_hi])
            if not lo.size:
                continue
            # as large as the frame allows, or as the photo itself shows the person (a half-body
            # photo's figure fills the frame, cut at its edge: it is not shrunk to float inside)
            r_lo, r_hi = _head_span(ref_px[head_ref, axis], axis, radius)
            r_b = ref_px[body_ref, axis]  # (no margins below: the photo may cut the body at its edge)
            allowed = max(
                FILL * size, float(np.concatenate([r_hi, r_b]).max() - np.concatenate([r_lo, r_b]).min())
            )
            raw_scale[f] = min(raw_scale[f], allowed / max(float(hi.max() - lo.min()), 1e-6))
        spans.append(axes)
    scales = _ease(raw_scale)
    shifts = np.zeros((len(points), 2))
    centres = np.zeros((len(points), 2))
    for f, axes in enumerate(spans):
        for axis, ((h_lo, h_hi, b_lo, b_hi), size) in enumerate(zip(axes, (width, height), strict=True)):
            lo, hi = np.concatenate([h_lo, b_lo]), np.concatenate([h_hi, b_hi])
            c = float(lo.min() + hi.max()) / 2 if lo.size else size / 2
            centres[f, axis] = c
            h_lo, h_hi, b_lo, b_hi = (c + scales[f] * (v - c) for v in (h_lo, h_hi, b_lo, b_hi))
            both = _shift(np.concatenate([h_lo, b_lo]), np.concatenate([h_hi, b_hi]), size)
            s = both if both is not None else _shift(h_lo, h_hi, size)
            if s is None:  # a head larger than the frame: centre it
                s = size / 2 - float((h_lo.min() + h_hi.max()) / 2)
            shifts[f, axis] = s
    framed = centres[:, None, :] + scales[:, None, None] * (px - centres[:, None, :]) + shifts[:, None, :]
    out = points.copy()
    out[..., :2] = np.where(visible[..., None], framed / (width, height), points[..., :2])
    return out, shifts, scales


def _head_span(head: np.ndarray, axis: int, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """The head points' reach along an axis: a head radius around them, more above for hair."""
    before = radius if axis == 0 else 1.5 * radius
    return head - before, head + radius


def _below(ref_y: np.ndarray, shown: np.ndarray, radius: float, height: int) -> np.ndarray:
    """Per joint, how much body lies below it that must stay in the frame (pixels): a foot below each
    ankle; on a photo cut below the shoulders, the torso down to the photo's edge, a head radius less."""
    below = np.zeros(N_BODY)
    below[list(ANKLES)] = radius  # the sole lies about a head radius below the ankle joint
    if not shown[list(HIPS)].any():
        for j in CUT_TOP:
            if shown[j]:
                below[j] = max(0.0, height - float(ref_y[j]) - radius)
    return below


def _body_span(
    coords: np.ndarray, joints: list[int], axis: int, below: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The joints' reach along an axis (coords: one per joint): the points, and the body below them."""
    lo = coords[joints]
    return lo, lo + (below[joints] if axis == 1 else 0.0)


def _ease(raw: np.ndarray) -> np.ndarray:
    """Per-frame scales that never exceed `raw` and change gradually (no pumping from frame to frame)."""
    k = SCALE_EASE // 2
    padded = np.pad(raw, k, mode="edge")
    low = np.array([padded[i : i + SCALE_EASE].min() for i in range(len(raw))])
    padded = np.pad(low, k, mode="edge")
    return np.array([padded[i : i + SCALE_EASE].mean() for i in range(len(raw))])
