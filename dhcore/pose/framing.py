"""Keeping the retargeted figure inside the output frame.

Root motion follows the driver (scaled to the reference body), so a driver who walks across a
wide shot or away from the camera would carry a large photo figure out of the frame, head
first. Per frame, the smallest shift that keeps the whole figure inside is added to every point:
not only its joints but the body drawn around them (`margins`): the head (a head radius, more
above for hair), a hand around each wrist, a foot around each ankle (an ankle on the frame's edge
leaves the foot outside), half a limb's width around the other joints the photo shows (a figure
held by its joints alone had its arm and flank cut by the edge: street_full_body).
A photo cut below the shoulders (no hip shown: a portrait, a half-body shot) shows the body down to
its bottom edge; its neck and shoulders keep about their distance to that edge (a head radius
less), so a driver walking towards the camera does not sink the figure out through the bottom,
leaving a head over a strip of collar.
A figure whose head, trunk and legs are taller or wider than the frame (a large photo body
retargeted onto a driver who comes close to the camera) is first shrunk about its middle until it
fits, the shrink eased over a few frames; where both still cannot fit, the head wins. A driver who
walks out of its own frame does not take the figure along: it stops at the edge (pose.align warns).
"""

from __future__ import annotations

import numpy as np

from dhcore.pose.keypoints import FACE_JOINTS, N_BODY, J

HEAD = list(FACE_JOINTS)
#: the joints below the head, each drawn with some of the body around it
TRUNK_LIMBS = [j for j in range(N_BODY) if j not in HEAD]
#: joints whose reach may shrink the figure: not the arms (a raised arm leaving the frame for a
#: moment is better than the whole figure pumping in size with it)
SIZED = [j for j in range(N_BODY) if j not in {J[n] for n in ("r_elbow", "r_wrist", "l_elbow", "l_wrist")}]
ANKLES = (J["r_ankle"], J["l_ankle"])
WRISTS = (J["r_wrist"], J["l_wrist"])
HIPS = (J["r_hip"], J["l_hip"])
#: what of a portrait keeps its distance to the photo's bottom edge
CUT_TOP = (J["neck"], J["r_shoulder"], J["l_shoulder"])
#: the silhouette around a joint, in head radii: half a limb's (or the trunk's) width around
#: shoulders, elbows, hips and knees, a hand around a wrist, a foot around an ankle (the foot turns
#: with the shin: it reaches well below the ankle when the toes point down). A head radius is the
#: larger of 0.6 neck-to-nose and TORSO of the neck-to-hips length where the photo shows it (a head
#: bent forward foreshortens the neck: street_full_body's footballer measured 13 pixels by his neck,
#: 20 by his torso of 100, his sleeve and shirt reaching 15-20 pixels past elbow and shoulder,
#: his shoe 25 below the ankle)
LIMB, HAND, FOOT, TORSO = 0.8, 1.2, 1.5, 0.2


def _shift(lo: np.ndarray, hi: np.ndarray, size: float) -> float | None:
    """Smallest shift moving [lo, hi] intervals inside [0, size]; None if they cannot fit."""
    if lo.size == 0:
        return 0.0
    need_min, need_max = -float(lo.min()), size - float(hi.max())  # shift >= need_min, <= need_max
    if need_min > need_max:
        return None
    return min(max(0.0, need_min), need_max)


def _place(head: tuple[np.ndarray, np.ndarray], body: tuple[np.ndarray, np.ndarray], size: float) -> float:
    """The shift keeping head and body inside; where both cannot fit, the head inside and as much of
    the body as that allows (the body overshooting both edges alike when it is larger than the frame)."""
    both = _shift(np.concatenate([head[0], body[0]]), np.concatenate([head[1], body[1]]), size)
    if both is not None:
        return both
    h = _shift(*head, size)
    if h is None:  # a head larger than the frame: centre it
        return size / 2 - float((head[0].min() + head[1].max()) / 2)
    b_min, b_max = -float(body[0].min()), size - float(body[1].max())
    want = _shift(*body, size)
    want = (b_min + b_max) / 2 if want is None else want
    if not head[0].size:
        return want
    h_min, h_max = -float(head[0].min()), size - float(head[1].max())
    return min(max(want, h_min), h_max)


#: frames over which a needed shrink is eased in and out (a min filter, then a mean, of this width)
SCALE_EASE = 9
#: share of the frame the figure may fill when it has to be shrunk
FILL = 0.98


def shown_inside(reference: np.ndarray, ref_visible: np.ndarray) -> np.ndarray:
    """[18] joints the photo shows inside the output frame (reference [128, 3] normalized there)."""
    xy = reference[:N_BODY, :2]
    return ref_visible[:N_BODY] & (xy >= 0).all(1) & (xy <= 1).all(1)


def margins(reference: np.ndarray, ref_visible: np.ndarray, width: int, height: int) -> np.ndarray:
    """[18, 2, 2] pixels of the photo's body that lie around each joint and must stay in the frame:
    per axis (x, y), before (left, above) and after it. The head: a head radius, more above for
    hair. Below it: LIMB, HAND and FOOT head radii, never more than the photo itself shows (a body
    the photo cuts at its edge is drawn cut there anyway). A photo cut below the shoulders (no hip
    shown: a portrait, its body reaching the frame's edges) keeps only its joints in, and its neck
    and shoulders the torso below them down to the photo's edge, a head radius less."""
    px = reference[:N_BODY, :2] * (width, height)
    neck_nose = np.linalg.norm(px[J["neck"]] - px[J["nose"]])
    if not (ref_visible[J["neck"]] and ref_visible[J["nose"]]) or not np.isfinite(neck_nose):
        neck_nose = 0.1 * min(width, height)
    radius = 0.6 * float(neck_nose)
    shown = shown_inside(reference, ref_visible)
    if shown[list(HIPS)].all() and shown[J["neck"]]:
        radius = max(radius, TORSO * float(np.linalg.norm(px[list(HIPS)].mean(0) - px[J["neck"]])))
    out = np.full((N_BODY, 2, 2), LIMB * radius)
    out[list(WRISTS)] = HAND * radius
    out[list(ANKLES)] = FOOT * radius
    room = np.stack([px, (width, height) - px], axis=-1)  # [18, axis, before/after]
    out = np.where(shown[:, None, None], np.minimum(out, np.nan_to_num(room, nan=0.0)), out)
    if cut_below_shoulders(reference, ref_visible):
        out[:] = 0.0
        for j in CUT_TOP:
            if shown[j]:
                out[j, 1, 1] = height - float(px[j, 1]) - radius
    out[HEAD] = ((radius, radius), (1.5 * radius, radius))
    if not ref_visible[TRUNK_LIMBS].any():
        # a photo that shows only a head (cut off at the neck): where its edge cuts the head, the
        # face point itself must stay in, not a head radius around it the photo does not show
        out[HEAD] = np.where(out[HEAD] > np.nan_to_num(room[HEAD], nan=np.inf), 0.0, out[HEAD])
    return np.maximum(out, 0.0)


def cut_below_shoulders(reference: np.ndarray, ref_visible: np.ndarray) -> bool:
    """A photo that shows no hip: the frame's bottom edge cuts its body."""
    return not shown_inside(reference, ref_visible)[list(HIPS)].any()


def keep_in_frame(
    points: np.ndarray, visible: np.ndarray, reference: np.ndarray, ref_visible: np.ndarray,
    width: int, height: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """points [F, 128, 3] normalized output coords (visible [F, 128]); reference [128, 3] the photo's
    pose in the same coords. Returns (framed points, per-frame shift [F, 2] in pixels, per-frame
    scale [F]): a figure taller or wider than the frame is first shrunk about its middle."""
    px = points[..., :2] * (width, height)
    ref_px = reference[:, :2] * (width, height)
    reach = margins(reference, ref_visible, width, height)
    inside_ref = shown_inside(reference, ref_visible)
    body_ref = [j for j in SIZED if inside_ref[j]]
    head_ref = [j for j in HEAD if ref_visible[j]]
    spans = []  # per frame and axis: (head lo, head hi, body lo, body hi)
    raw_scale = np.ones(len(points))
    for f in range(len(points)):
        head = [j for j in HEAD if visible[f, j]]
        body = [j for j in TRUNK_LIMBS if visible[f, j] and inside_ref[j]]
        axes = []
        for axis, size in ((0, width), (1, height)):
            h_lo, h_hi = _span(px[f, :, axis], head, reach, axis)
            axes.append((h_lo, h_hi, *_span(px[f, :, axis], body, reach, axis)))
            s_lo, s_hi = _span(px[f, :, axis], [j for j in body if j in SIZED], reach, axis)
            lo, hi = np.concatenate([h_lo, s_lo]), np.concatenate([h_hi, s_hi])
            if not lo.size:
                continue
            # as large as the frame allows, or as the photo itself shows the person (a half-body
            # photo's figure fills the frame, cut at its edge: it is not shrunk to float inside)
            r_lo, r_hi = _span(ref_px[:, axis], head_ref + body_ref, reach, axis)
            allowed = max(FILL * size, float(r_hi.max() - r_lo.min()) if r_lo.size else 0.0)
            raw_scale[f] = min(raw_scale[f], allowed / max(float(hi.max() - lo.min()), 1e-6))
        spans.append(axes)
    scales = ease(raw_scale)
    shifts = np.zeros((len(points), 2))
    centres = np.zeros((len(points), 2))
    for f, axes in enumerate(spans):
        for axis, ((h_lo, h_hi, b_lo, b_hi), size) in enumerate(zip(axes, (width, height), strict=True)):
            lo, hi = np.concatenate([h_lo, b_lo]), np.concatenate([h_hi, b_hi])
            c = float(lo.min() + hi.max()) / 2 if lo.size else size / 2
            centres[f, axis] = c
            h_lo, h_hi, b_lo, b_hi = (c + scales[f] * (v - c) for v in (h_lo, h_hi, b_lo, b_hi))
            shifts[f, axis] = _place((h_lo, h_hi), (b_lo, b_hi), size)
    framed = centres[:, None, :] + scales[:, None, None] * (px - centres[:, None, :]) + shifts[:, None, :]
    out = points.copy()
    out[..., :2] = np.where(visible[..., None], framed / (width, height), points[..., :2])
    return out, shifts, scales


def _span(
    coords: np.ndarray, joints: list[int], reach: np.ndarray, axis: int
) -> tuple[np.ndarray, np.ndarray]:
    """The joints' reach along an axis (coords: one per joint): each point and the body around it."""
    return coords[joints] - reach[joints, axis, 0], coords[joints] + reach[joints, axis, 1]


def ease(raw: np.ndarray) -> np.ndarray:
    """Per-frame scales that never exceed `raw` and change gradually (no pumping from frame to frame)."""
    k = SCALE_EASE // 2
    padded = np.pad(raw, k, mode="edge")
    low = np.array([padded[i : i + SCALE_EASE].min() for i in range(len(raw))])
    padded = np.pad(low, k, mode="edge")
    return np.array([padded[i : i + SCALE_EASE].mean() for i in range(len(raw))])
