"""Stage `evaluate.pose_pck`: does the output video show the pose it was asked to show?

The MediaPipe body detector (video mode, body only) re-detects the pose on every output frame,
and PCK@alpha compares it with the target (aligned) pose, both in output-frame pixels.

- Joints: the upper-body joints (nose, neck, shoulders, elbows, wrists, eyes, ears) that are
  visible in the target (confidence >= min_confidence), inside the frame, and, when the reference
  pose is given, shown by the reference photo (confidence >= reference_confidence): a joint the
  photo does not show (a wrist cut off by the frame, an arm hidden behind a helmet) cannot be
  animated from it, so it is not part of the visible upper body being measured. A joint is correct
  when the re-detected joint has coordinates within alpha * body size of the target; a target
  joint that is not re-detected counts as wrong.
- Body size: the median over frames of the target's torso length (neck to the hip midpoint,
  pixels; hips may lie outside the frame), or, when the target never has both hips, the median
  shoulder width. One size per sequence, so turning or bending does not change the tolerance.
- Per-frame PCK = correct / evaluated joints (None when a frame has no evaluable joint); the
  reported value is the mean over frames that have one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from dhcore.errors import InputError
from dhcore.pose import extract
from dhcore.pose.keypoints import BODY_NAMES, UPPER_BODY, J, PoseSequence
from dhcore.stage import (
    InputValue,
    Output,
    StageContext,
    StageDef,
    StageParams,
    StageResult,
    port,
)

NAME = "evaluate.pose_pck"
VERSION = "2"
CHUNK = 16


class Params(StageParams):
    alpha: float = Field(0.1, gt=0, le=1)
    min_confidence: float = Field(0.3, ge=0, le=1)
    reference_confidence: float = Field(
        0.5, ge=0, le=1, description="joints the photo shows less surely are not scored"
    )


def body_size(target: PoseSequence, min_confidence: float = 0.3) -> float:
    """The normalising length in pixels (see the module docstring)."""
    xy = target.body[..., :2] * (target.width, target.height)
    vis = target.visible(min_confidence)
    neck, rs, ls, rh, lh = (J[n] for n in ("neck", "r_shoulder", "l_shoulder", "r_hip", "l_hip"))
    torso_ok = vis[:, neck] & vis[:, rh] & vis[:, lh]
    if torso_ok.any():
        mid_hip = (xy[:, rh] + xy[:, lh]) / 2
        return float(np.median(np.linalg.norm(mid_hip - xy[:, neck], axis=-1)[torso_ok]))
    sh_ok = vis[:, rs] & vis[:, ls]
    if sh_ok.any():
        return float(np.median(np.linalg.norm(xy[:, rs] - xy[:, ls], axis=-1)[sh_ok]))
    raise InputError("the target pose has neither a torso nor shoulders to measure body size by")


def shown_by(reference: PoseSequence, params: Params) -> np.ndarray:
    """[18] bool: joints the reference photo shows confidently."""
    return reference.visible(params.reference_confidence)[0]


def pck(
    target: PoseSequence,
    detected: PoseSequence,
    params: Params | None = None,
    shown: np.ndarray | None = None,
) -> list[float | None]:
    """Per-frame PCK of `detected` against `target` (same frame size, same length)."""
    return _correct(target, detected, params or Params(), shown)[0]


def _correct(
    target: PoseSequence, detected: PoseSequence, params: Params, shown: np.ndarray | None
) -> tuple[list[float | None], np.ndarray, np.ndarray]:
    """Per-frame PCK, and the [F, joints] evaluated and correct masks."""
    if len(target) != len(detected):
        raise InputError(f"target has {len(target)} frames but {len(detected)} were detected")
    size = body_size(target, params.min_confidence)
    w, h = target.width, target.height
    joints = list(UPPER_BODY)
    txy = target.body[:, joints, :2] * (w, h)
    dxy = detected.body[:, joints, :2] * (w, h)  # both normalized in the output frame
    inside = (txy[..., 0] >= 0) & (txy[..., 0] < w) & (txy[..., 1] >= 0) & (txy[..., 1] < h)
    evaluated = target.visible(params.min_confidence)[:, joints] & inside
    if shown is not None:
        evaluated &= shown[joints][None, :]
    dist = np.linalg.norm(dxy - txy, axis=-1)
    correct = evaluated & np.isfinite(dist) & (np.nan_to_num(dist, nan=np.inf) <= params.alpha * size)
    n = evaluated.sum(axis=1)
    per_frame = [float(c) / float(k) if k else None for c, k in zip(correct.sum(axis=1), n, strict=True)]
    return per_frame, evaluated, correct


def mean_pck(per_frame: list[float | None]) -> float:
    vals = [v for v in per_frame if v is not None]
    return float(np.mean(vals)) if vals else 0.0


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(
        port("frames", "frames", "video"),
        port("target", "pose"),
        port("reference", "pose", optional=True),
    ),
    outputs=(port("detected", "pose"),),
    impl="dhcore.metrics.pck:run",
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Re-detect poses on the frames and score them against the target.

    The reference (the 1-frame pose of the photo) restricts scoring to joints the photo shows.
    """
    frames_path, target_pose_path = Path(inputs["frames"]), Path(inputs["target"])
    reference_pose_path, progress = inputs.get("reference"), ctx.progress
    out_path = Path(out_dir) / "detected.npz"
    target = PoseSequence.load(target_pose_path)
    shown = shown_by(PoseSequence.load(reference_pose_path), params) if reference_pose_path else None
    detected, _ = extract.detect_video(
        Path(frames_path), extract.Params(detector="mediapipe", parts="body"), progress
    )
    if len(detected) != len(target):
        raise InputError(f"{frames_path}: has {len(detected)} frames but the target pose has {len(target)}")
    per_frame, evaluated, correct = _correct(target, detected, params, shown)
    detected.save(out_path)
    scored = [v for v in per_frame if v is not None]
    metrics = {
        "pose_pck": mean_pck(per_frame),
        "pose_pck_frames": float(len(scored)),
        "pose_pck_body_size_px": body_size(target, params.min_confidence),
        "pose_pck_joints": float(evaluated.any(axis=0).sum()),
    }
    for k, joint in enumerate(UPPER_BODY):
        if evaluated[:, k].any():
            metrics[f"pose_pck_{BODY_NAMES[joint]}"] = float(correct[:, k].sum() / evaluated[:, k].sum())
    meta = {"width": detected.width, "height": detected.height, "fps": detected.fps, "frames": len(detected)}
    return StageResult(
        outputs={"detected": Output(path=Path(out_path), kind="pose", meta=meta)},
        metrics=metrics,
        series={"pose_pck": per_frame},
        frames=len(detected),
    )
