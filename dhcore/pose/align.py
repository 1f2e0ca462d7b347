"""Stage `pose.align`: retarget the driving poses onto the reference person's body.

Output poses are normalized in the OUTPUT frame (width x height): the reference photo is
fitted to the output frame (`dhcore.media.geometry.photo_fit`: cover, or pad when aspects differ), so
the reference pose is first mapped with `reference_in_output`, the same function animators use.
All lengths are measured in a common space of "units of image height" (x times aspect).

Methods (see shared/reference/pose_alignment.md):
- musepose: per body-part scales = reference length / driving length, the skeleton rebuilt
  from the neck with the driving frame's bone directions, then shifted by
  t = reference neck - driving neck at the align frame.
- unianimate: a global stretch (x by the shoulder-width ratio, y by the torso-height ratio;
  one missing -> the other, both -> the musepose body scale), then per-bone length ratios
  (kept at 1 when unmeasurable or beyond 3x), then the neck shift.
- none: the driving poses as they are, mapped into the output frame like a photo (cover fit).

Fixes over the public versions: a segment is measured only where both its ends are visible
(confidence >= min_confidence); a scale that cannot be measured borrows a documented fallback
(FALLBACKS, ending at the body scale = median of the measured scales) and a scale more than
3x away from the body scale is treated as a detection error and replaced the same way, so no
scale is ever inf/NaN/0; missing points stay missing and are never shifted.

After the method: frames in which the driver faces away from the camera (as the photo does
not) are shown as front views (`dhcore.pose.facing`); the musepose root path is scaled by the
body scale like every bone (a driver crossing a wide shot moves the figure by as many of its
own body widths); a photo cut below the shoulders (a bust) gets its shoulder line and head turned
about the neck no further than a bust leans (`dhcore.pose.bust`); and the figure is kept inside
the frame (`dhcore.pose.framing`).

align_frame: an int uses that driving frame (MusePose semantics: per-side ratios averaged);
"auto" measures each segment type symmetrically and robustly: reference length = the longer
visible side (a projection is never longer than the bone), driving length = the 90th
percentile over all frames and both sides where it is visible (so arms hidden or foreshortened
in some frames do not matter), and takes t from the first frame with a visible neck.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from dhcore.errors import InputError
from dhcore.media.geometry import photo_fit
from dhcore.pose import bust, facing, framing, head_only
from dhcore.pose import skeleton_tree as tree
from dhcore.pose.keypoints import BODY_NAMES, N_BODY, J, PoseSequence
from dhcore.stage import (
    InputValue,
    Output,
    StageContext,
    StageDef,
    StageParams,
    StageResult,
    port,
)

NAME = "pose.align"
VERSION = "6"
AUTO_PERCENTILE = 90.0
OUTLIER_FACTOR = 3.0
_EPS = 1e-6

L, R = tree.LEFT_HAND, tree.RIGHT_HAND
_j = J.__getitem__

#: MusePose groups: scale name -> segment types, each a list of (parent, child) per side.
MUSE_SEGMENTS: dict[str, list[list[tuple[int, int]]]] = {
    "neck": [[(_j("neck"), _j("nose"))]],
    "face": [[(_j("nose"), _j("r_eye")), (_j("nose"), _j("l_eye"))],
             [(_j("nose"), _j("r_ear")), (_j("nose"), _j("l_ear"))]],
    "shoulder": [[(_j("neck"), _j("r_shoulder")), (_j("neck"), _j("l_shoulder"))]],
    "upper_arm": [[(_j("r_shoulder"), _j("r_elbow")), (_j("l_shoulder"), _j("l_elbow"))]],
    "lower_arm": [[(_j("r_elbow"), _j("r_wrist")), (_j("l_elbow"), _j("l_wrist"))]],
    "hand": [[(L, L + k), (R, R + k)] for k in (1, 5, 9, 13, 17)],
    "torso": [[(_j("neck"), _j("r_hip")), (_j("neck"), _j("l_hip"))]],
    "upper_leg": [[(_j("r_hip"), _j("r_knee")), (_j("l_hip"), _j("l_knee"))]],
    "lower_leg": [[(_j("r_knee"), _j("r_ankle")), (_j("l_knee"), _j("l_ankle"))]],
}  # fmt: skip

#: Where a scale that cannot be measured comes from (first measured one wins; "body" always exists).
FALLBACKS: dict[str, tuple[str, ...]] = {
    "neck": ("face", "shoulder"), "face": ("neck", "shoulder"), "shoulder": ("torso", "neck"),
    "upper_arm": ("lower_arm", "shoulder"), "lower_arm": ("upper_arm", "shoulder"),
    "torso": ("shoulder",), "upper_leg": ("lower_leg", "torso"), "lower_leg": ("upper_leg", "torso"),
}  # fmt: skip
_BODY_GROUPS = ("neck", "face", "shoulder", "upper_arm", "lower_arm", "torso", "upper_leg", "lower_leg")

#: UniAnimate's adjusted bones (each scaled on its own; every other bone keeps the stretched length).
UNI_BONES = tuple(
    (J[a], J[b]) for a, b in (
        ("neck", "nose"), ("neck", "r_shoulder"), ("neck", "l_shoulder"), ("r_shoulder", "r_elbow"),
        ("l_shoulder", "l_elbow"), ("r_elbow", "r_wrist"), ("l_elbow", "l_wrist"), ("nose", "r_eye"),
        ("nose", "l_eye"), ("r_eye", "r_ear"), ("l_eye", "l_ear"), ("r_hip", "r_knee"),
        ("l_hip", "l_knee"), ("r_knee", "r_ankle"), ("l_knee", "l_ankle"),
    )
)  # fmt: skip
_MIRROR = {
    J[n]: J[("l_" + n[2:]) if n.startswith("r_") else ("r_" + n[2:])] for n in J if n[:2] in ("r_", "l_")
}


class Params(StageParams):
    width: int = Field(gt=0, description="output frame width (pixels)")
    height: int = Field(gt=0, description="output frame height (pixels)")
    method: Literal["musepose", "unianimate", "none"] = "musepose"
    align_frame: Literal["auto"] | Annotated[int, Field(ge=0)] = "auto"
    min_confidence: float = Field(0.3, ge=0, le=1)
    back_views: Literal["as_front", "as_detected"] = Field(
        "as_front",
        description="as_front: frames seen from behind get left and right swapped (no crossed limbs)",
    )
    keep_in_frame: bool = Field(
        True, description="shift frames so the head and the body the photo shows stay in the frame"
    )


@dataclass
class Alignment:
    """What the alignment measured: per-point scales by name, the shift, and any fallbacks."""

    method: str
    scales: dict[str, float] = field(default_factory=dict)
    offset: tuple[float, float] = (0.0, 0.0)  # in units of output height
    stretch: tuple[float, float] = (1.0, 1.0)  # unianimate's global (x, y) stretch
    offset_frame: int = 0
    #: the scale applied to each of the 128 flat points' offset from its parent (skeleton_tree order)
    point_scale: np.ndarray | None = None
    #: the driving root path's scale about the align frame (musepose: the body scale)
    root_scale: float = 1.0
    back_view_frames: int = 0
    framed_frames: int = 0  # frames shifted or shrunk to keep the figure inside
    framing_scale: float = 1.0  # the smallest shrink applied to keep the figure inside
    head_only_kept: float | None = None  # a head-only photo: the smallest share of the head's move kept
    flipped: np.ndarray | None = None  # [F] frames shown as front views
    warnings: list[str] = field(default_factory=list)


def reference_in_output(reference: PoseSequence, width: int, height: int) -> PoseSequence:
    """The reference pose (photo-normalized) in output-frame coordinates: the animators' mapping too."""
    fit = photo_fit(reference.width, reference.height, width, height)

    def move(a: np.ndarray) -> np.ndarray:
        out = a.copy()
        out[..., :2] = fit.to_output_normalized(a[..., :2])
        return out

    return PoseSequence(
        move(reference.body), move(reference.hands), move(reference.face), width, height, reference.fps
    )


#: (xy [F, 128, 2] in units of image height, visible [F, 128])
_Points = tuple[np.ndarray, np.ndarray]


def _common(points: np.ndarray, aspect: float) -> np.ndarray:
    xy = points[..., :2].copy()
    xy[..., 0] *= aspect
    return xy


def _lengths(xy: np.ndarray, vis: np.ndarray, a: int, b: int) -> np.ndarray:
    """Segment length per frame [F]; NaN where an end is missing or the length is degenerate."""
    length = np.linalg.norm(xy[:, b] - xy[:, a], axis=-1)
    return np.where(vis[:, a] & vis[:, b] & (length > _EPS), length, np.nan)


def _type_ratio(
    sides: list[tuple[int, int]], ref: _Points, drv: _Points, frame: int | None,
) -> float:  # fmt: skip
    """Reference/driving length ratio of one segment type, or NaN if it cannot be measured."""
    ref_len = np.array([_lengths(*ref, a, b)[0] for a, b in sides])
    if frame is not None:  # MusePose: per-side ratios at the align frame, averaged
        drv_len = np.array([_lengths(*drv, a, b)[frame] for a, b in sides])
        ratios = ref_len / drv_len
        ratios = ratios[np.isfinite(ratios)]
        return float(ratios.mean()) if ratios.size else np.nan
    ref_best = np.nanmax(ref_len) if np.isfinite(ref_len).any() else np.nan
    drv_all = np.concatenate([_lengths(*drv, a, b) for a, b in sides])
    drv_all = drv_all[np.isfinite(drv_all)]
    if not drv_all.size or not np.isfinite(ref_best):
        return np.nan
    return float(ref_best / np.percentile(drv_all, AUTO_PERCENTILE))


def _group_ratio(
    types: list[list[tuple[int, int]]], ref: _Points, drv: _Points, frame: int | None,
) -> float:  # fmt: skip
    """Mean ratio over a group's measurable segment types, or NaN."""
    ratios = np.array([_type_ratio(t, ref, drv, frame) for t in types])
    return float(np.nanmean(ratios)) if np.isfinite(ratios).any() else np.nan


def _resolve_scales(measured: dict[str, float], info: Alignment) -> dict[str, float]:
    """Fill unmeasured or outlier scales from FALLBACKS; every result is finite and > 0."""
    direct = {k: v for k, v in measured.items() if np.isfinite(v) and v > _EPS}
    core = [direct[g] for g in _BODY_GROUPS if g in direct]
    if not core:
        raise InputError(
            "no body segment is visible in both the reference and the driving poses (align frame); "
            "cannot estimate any scale"
        )
    body = float(np.median(core))
    for name, value in list(direct.items()):
        if not body / OUTLIER_FACTOR <= value <= body * OUTLIER_FACTOR:
            info.warnings.append(f"scale {name}={value:.3g} is over {OUTLIER_FACTOR}x away from the body scale "
                                 f"{body:.3g}; treated as a detection error")  # fmt: skip
            del direct[name]
    scales = dict(direct)
    for name in _BODY_GROUPS:
        if name in scales:
            continue
        source = next((g for g in FALLBACKS[name] if g in direct), "body")
        scales[name] = direct[source] if source != "body" else body
        info.warnings.append(f"scale {name} could not be measured; using {source} ({scales[name]:.3g})")
    scales["body"] = body
    return scales


def _offset_frame(drv_vis: np.ndarray, align_frame: int | Literal["auto"]) -> int:
    necks = drv_vis[:, tree.ROOT]
    if align_frame == "auto":
        if not necks.any():
            raise InputError("the driving poses have no frame with a visible neck (both shoulders)")
        return int(np.argmax(necks))
    if align_frame >= len(drv_vis):
        raise InputError(f"align_frame {align_frame} is past the last driving frame ({len(drv_vis) - 1})")
    if not necks[align_frame]:
        raise InputError(
            f"driving frame {align_frame} has no visible neck; choose another align_frame or 'auto'"
        )
    return align_frame


def _musepose(ref: _Points, drv: _Points, params: Params, info: Alignment) -> np.ndarray:
    """Per-group scales, then the rebuild from the neck; returns [F, 128, 2] in common units."""
    (rxy, _), (dxy, dvis) = ref, drv
    frame = None if params.align_frame == "auto" else info.offset_frame
    measured = {name: _group_ratio(types, ref, drv, frame) for name, types in MUSE_SEGMENTS.items()}
    hand = measured.pop("hand")
    scales = _resolve_scales(measured, info)
    parts = [scales["upper_arm"], scales["lower_arm"]]
    if np.isfinite(hand) and scales["body"] / OUTLIER_FACTOR <= hand <= scales["body"] * OUTLIER_FACTOR:
        parts.append(hand)
    else:
        info.warnings.append("scale hand could not be measured; using the arm scales")
    scales["hand"] = float(np.mean(parts))  # MusePose: (hand + upper arm + lower arm) / 3
    parent = tree.body_parents()
    per_point = np.empty(tree.N_POINTS)
    group_of = _muse_group_of_point()
    for i in range(tree.N_POINTS):
        per_point[i] = scales[group_of[i]]
    info.scales, info.point_scale = scales, per_point
    offset = rxy[0, tree.ROOT] - dxy[info.offset_frame, tree.ROOT]
    info.offset = (float(offset[0]), float(offset[1]))
    out = tree.rebuild(dxy, dvis, parent, per_point, offset)
    root = tree.virtual_root(dxy, dvis)
    info.root_scale = scales["body"]
    return out + (info.root_scale - 1.0) * (root - root[info.offset_frame])[:, None, :]


def _muse_group_of_point() -> list[str]:
    group = ["body"] * tree.N_POINTS
    for name, types in MUSE_SEGMENTS.items():
        if name == "hand":
            continue
        for sides in types:
            for _, child in sides:
                group[child] = name
    for start in (L, R):
        for k in range(21):
            group[start + k] = "hand"
    for i in range(tree.FACE, tree.N_POINTS):
        group[i] = "face"
    return group


def _driving_length(lengths: np.ndarray, frame: int | None) -> float:
    """A segment's driving length: at the align frame, or (auto) the high percentile over frames."""
    if frame is not None:
        return float(lengths[frame])
    return float(np.nanpercentile(lengths, AUTO_PERCENTILE)) if np.isfinite(lengths).any() else np.nan


def _unianimate(ref: _Points, drv: _Points, params: Params, info: Alignment) -> np.ndarray:
    """Global stretch, per-bone ratios, then the rebuild from the neck; [F, 128, 2] in common units."""
    (rxy, rvis), (dxy, dvis) = ref, drv
    frame = None if params.align_frame == "auto" else info.offset_frame

    def span(xy: np.ndarray, vis: np.ndarray, kind: str) -> np.ndarray:
        if kind == "x":
            return _lengths(xy, vis, J["r_shoulder"], J["l_shoulder"])
        ok = vis[:, J["r_shoulder"]] & vis[:, J["l_shoulder"]] & vis[:, J["r_hip"]] & vis[:, J["l_hip"]]
        top = (xy[:, J["r_shoulder"]] + xy[:, J["l_shoulder"]]) / 2
        bottom = (xy[:, J["r_hip"]] + xy[:, J["l_hip"]]) / 2
        d = np.linalg.norm(bottom - top, axis=-1)
        return np.where(ok & (d > _EPS), d, np.nan)

    stretch = {}
    for kind in ("x", "y"):
        ratio = span(rxy, rvis, kind)[0] / _driving_length(span(dxy, dvis, kind), frame)
        stretch[kind] = ratio if np.isfinite(ratio) and ratio > _EPS else np.nan
    if not np.isfinite([stretch["x"], stretch["y"]]).any():
        measured = {name: _group_ratio(types, ref, drv, frame) for name, types in MUSE_SEGMENTS.items()}
        measured.pop("hand")
        body = _resolve_scales(measured, Alignment("musepose"))["body"]
        info.warnings.append(
            f"neither shoulder width nor torso height measurable; stretching by the body scale {body:.3g}"
        )
        stretch["x"] = stretch["y"] = body
    for kind, other in (("x", "y"), ("y", "x")):
        if not np.isfinite(stretch[kind]):
            info.warnings.append(f"stretch {kind} could not be measured; using the {other} stretch")
            stretch[kind] = stretch[other]
    sxy = np.array([stretch["x"], stretch["y"]])
    info.stretch = (float(sxy[0]), float(sxy[1]))
    dxy_s = dxy * sxy
    per_point = np.ones(tree.N_POINTS)
    for a, b in UNI_BONES:
        ref_len = _lengths(rxy, rvis, a, b)[0]
        if not np.isfinite(ref_len) and b in _MIRROR:
            ref_len = _lengths(rxy, rvis, _MIRROR.get(a, a), _MIRROR[b])[0]
        ratio = ref_len / _driving_length(_lengths(dxy_s, dvis, a, b), frame)
        if np.isfinite(ratio) and 1 / OUTLIER_FACTOR <= ratio <= OUTLIER_FACTOR:
            per_point[b] = ratio
        else:
            info.warnings.append(
                f"bone {BODY_NAMES[a]}-{BODY_NAMES[b]}: no usable length ratio; kept the stretched length"
            )
    info.scales = {f"{BODY_NAMES[a]}-{BODY_NAMES[b]}": float(per_point[b]) for a, b in UNI_BONES}
    info.point_scale = per_point
    offset = rxy[0, tree.ROOT] - dxy_s[info.offset_frame, tree.ROOT]
    info.offset = (float(offset[0]), float(offset[1]))
    return tree.rebuild(dxy_s, dvis, tree.body_parents(ears_on_eyes=True), per_point, offset)


def align(reference: PoseSequence, driving: PoseSequence, params: Params) -> tuple[PoseSequence, Alignment]:
    """The driving poses retargeted onto the reference body, normalized in the output frame."""
    info = Alignment(method=params.method)
    dpts = tree.flatten(driving)
    dvis = tree.visible(dpts, params.min_confidence)
    if not dvis.any():
        raise InputError("the driving poses have no visible point")
    if params.back_views == "as_front":
        dpts, dvis = _as_front_views(reference, dpts, dvis, driving.aspect, params.min_confidence, info)
    if params.method == "none":
        fit = photo_fit(driving.width, driving.height, params.width, params.height)
        out = dpts.copy()
        out[..., :2] = np.where(dvis[..., None], fit.to_output_normalized(dpts[..., :2]), np.nan)
        out[..., 2] = np.where(dvis, dpts[..., 2], 0.0)
        return _with_depth(tree.unflatten(out, params.width, params.height, driving.fps), driving, info), info
    if len(reference) != 1:
        raise InputError(f"the reference pose must have exactly one frame, not {len(reference)}")
    ref_out = reference_in_output(reference, params.width, params.height)
    rpts = tree.flatten(ref_out)
    rvis = tree.visible(rpts, params.min_confidence)
    only_head = head_only.shows_only_head(rvis[0])
    if not rvis[0, tree.ROOT] and not only_head:
        raise InputError("the reference pose has no visible neck (both shoulders must be visible)")
    out_aspect = params.width / params.height
    ref = (_common(rpts, out_aspect), rvis)
    drv = (_common(dpts, driving.aspect), dvis)
    info.offset_frame = _offset_frame(dvis, params.align_frame)
    if only_head:
        ref = _with_neck(ref, drv, None if params.align_frame == "auto" else info.offset_frame, info)
    method = _musepose if params.method == "musepose" else _unianimate
    said = len(info.warnings)
    xy = method(ref, drv, params, info)
    if only_head:  # its fallbacks scale a body the photo does not show, whose joints are not asked for
        del info.warnings[said:]
    out = np.empty_like(dpts)
    out[..., 0] = xy[..., 0] / out_aspect
    out[..., 1] = xy[..., 1]
    out[..., 2] = np.where(dvis, dpts[..., 2], 0.0)
    out[~dvis, :2] = np.nan
    if framing.cut_below_shoulders(rpts[0], rvis[0]):
        out = bust.lean_limited(out, dvis, rpts[0], rvis[0], params.width, params.height)
    if params.keep_in_frame:
        out, shifts, scales = framing.keep_in_frame(out, dvis, rpts[0], rvis[0], params.width, params.height)
        held = (np.abs(shifts) > 1.0).any(1) | (scales < 0.99)
        info.framed_frames = int(held.sum())
        body, body_vis = dpts[:, :N_BODY, :2], dvis[:, :N_BODY]
        driver_out = (body_vis[..., None] & ((body < 0) | (body > 1))).any(axis=(1, 2))
        if (driver_out & held).any():
            info.warnings.append(
                f"the driver leaves the frame at frames {_runs(np.flatnonzero(driver_out & held))}; "
                "the figure is held inside"
            )
        info.framing_scale = float(scales.min())
        if info.framing_scale < 0.95:
            info.warnings.append(
                f"the figure is larger than the {params.width}x{params.height} frame in "
                f"{int((scales < 0.99).sum())} of {len(scales)} frames; shrunk there (to "
                f"{info.framing_scale:.0%} at most) to stay inside"
            )
    if only_head:
        out, kept = head_only.limit(
            out, dvis, rpts[0], rvis[0], params.width, params.height, info.offset_frame
        )
        info.head_only_kept = least = float(kept.min())
        if least < 0.99:
            info.warnings.append(
                f"the photo shows only a head: its moves were cut down (to {least:.0%} of "
                f"the driver's at most, in {int((kept < 0.99).sum())} of {len(kept)} frames) so that at most "
                f"{head_only.FILLED:.0%} of the frame shows the background filled in behind it"
            )
    return _with_depth(tree.unflatten(out, params.width, params.height, driving.fps), driving, info), info


def _with_neck(ref: _Points, drv: _Points, frame: int | None, info: Alignment) -> _Points:
    """A head-only reference with a neck where the driver's is at the align frame, relative to the
    face points both show, scaled by the face's length ratio: the rebuild's root, never drawn."""
    (rxy, rvis), (dxy, dvis) = ref, drv
    ratio = _group_ratio(MUSE_SEGMENTS["face"], ref, drv, frame)
    common = [j for j in framing.HEAD if rvis[0, j] and dvis[info.offset_frame, j]]
    if not np.isfinite(ratio) or not common:
        raise InputError(
            "the photo shows only a head, and the driving poses show too little of a face to place it "
            f"(align frame {info.offset_frame})"
        )
    rxy, rvis = rxy.copy(), rvis.copy()
    drv_face = dxy[info.offset_frame, common].mean(0)
    rxy[0, tree.ROOT] = rxy[0, common].mean(0) + ratio * (dxy[info.offset_frame, tree.ROOT] - drv_face)
    rvis[0, tree.ROOT] = True
    return rxy, rvis


def _runs(frames: np.ndarray) -> str:
    """Frame numbers as runs: "3-7, 12-15"."""
    breaks = np.flatnonzero(np.diff(frames) > 1)
    starts, ends = np.r_[frames[0], frames[breaks + 1]], np.r_[frames[breaks], frames[-1]]
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in zip(starts, ends, strict=True))


def _with_depth(target: PoseSequence, driving: PoseSequence, info: Alignment) -> PoseSequence:
    """The driver's body depth carried over in units of its shoulder width (the median over the
    video: only the joints' order and how far apart they are is used), NaN where a joint is gone."""
    if driving.depth is None:
        return target
    seen = driving.visible()
    both = seen[:, J["r_shoulder"]] & seen[:, J["l_shoulder"]]
    span = (driving.body[:, J["r_shoulder"], :2] - driving.body[:, J["l_shoulder"], :2]) * (
        1,
        1 / driving.aspect,
    )
    widths = np.linalg.norm(span, axis=1)[both]  # in image widths, like the depth
    if not widths.size or np.median(widths) <= 1e-6:
        return target
    depth = driving.depth / np.median(widths)
    if info.flipped is not None and info.flipped.any():
        depth = facing.depth_as_front_views(depth, info.flipped)
    return target.replace(depth=np.where(target.visible(0.0), depth, np.nan).astype(np.float32))


def _as_front_views(
    reference: PoseSequence, dpts: np.ndarray, dvis: np.ndarray, aspect: float, min_conf: float, info: Alignment
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    rpts = tree.flatten(reference)[:1]
    rpts[..., 0] *= reference.aspect
    photo = int(facing.facing(rpts, tree.visible(rpts, min_conf))[0]) if len(rpts) else 1
    dpts, flipped = facing.as_front_views(dpts, dvis, photo, aspect)
    info.back_view_frames, info.flipped = int(flipped.sum()), flipped
    if flipped.any():
        info.warnings.append(
            f"{info.back_view_frames} of {len(dpts)} driving frames show the person turned away from the camera; "
            "the photo has only a front view, so they are shown as front views (left and right swapped)"
        )
    return dpts, tree.visible(dpts, min_conf)


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("reference", "pose"), port("driving", "pose")),
    outputs=(port("pose", "pose"),),
    impl="dhcore.pose.align:run",
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Align the driving PoseSequence to the 1-frame reference PoseSequence."""
    out_path = Path(out_dir) / "pose.npz"
    reference, driving = (
        PoseSequence.load(Path(inputs["reference"])),
        PoseSequence.load(Path(inputs["driving"])),
    )
    ctx.progress(0, len(driving))
    target, info = align(reference, driving, params)
    target.save(out_path)
    ctx.progress(len(driving), len(driving))
    metrics = {f"scale_{k}": v for k, v in info.scales.items() if k in MUSE_SEGMENTS or k == "body"}
    metrics.update(offset_x=info.offset[0], offset_y=info.offset[1], offset_frame=float(info.offset_frame))
    metrics.update(back_view_frames=float(info.back_view_frames), framed_frames=float(info.framed_frames),
                   framing_scale=info.framing_scale)  # fmt: skip
    if info.head_only_kept is not None:
        metrics["head_only_kept"] = info.head_only_kept
    if params.method == "unianimate":
        metrics.update(stretch_x=info.stretch[0], stretch_y=info.stretch[1])
    meta = {"width": params.width, "height": params.height, "fps": driving.fps, "frames": len(target),
            "method": params.method, "coordinates": "output frame (reference photo cover-fit)"}  # fmt: skip
    return StageResult(
        outputs={"pose": Output(path=Path(out_path), kind="pose", meta=meta)},
        metrics=metrics, frames=len(target), warnings=info.warnings,
    )  # fmt: skip
