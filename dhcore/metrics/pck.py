"""Stage `evaluate.pose_pck`: does the output video show the pose, the motion and the body it was asked to?

The MediaPipe body detector (video mode, body only) re-detects the pose on every output frame,
and PCK@alpha compares it with the target (aligned) pose, both in output-frame pixels.

- Scored joints: every body joint the target asks for (confidence >= min_confidence, inside the
  frame) that the reference photo shows at the animator's own threshold (reference_confidence,
  0.3 like the warp animator): a joint the photo does not show cannot be animated from it. A joint
  is correct when the re-detected joint lies within alpha * body size of the target; one that is
  not re-detected is wrong, and so is every frame of a joint the animator held still (motion.py).
- Body size: the median over frames of the target's torso length (neck to the hip midpoint,
  pixels; hips may lie outside the frame), or, when the target never has both hips, the median
  shoulder width, or, for a photo that shows only a head (its target asks for face points alone),
  twice the median span of the face points (ear to ear: about a shoulder width). One size per
  sequence, so turning or bending does not change the tolerance.
- pose_pck: mean over frames of correct / scored joints; pose_pck_limbs the same over elbows,
  wrists, knees and ankles; pose_pck_upper over the upper body (face points, shoulders, elbows,
  wrists); pose_pck_<joint> per joint (the per-joint table of the report).
- head_in_frame: share of frames whose target shows the nose in the frame where the output's nose
  is found in the frame too; with the reference, body_in_frame: share of frames whose target places
  every joint the photo shows, and the photo's body around it, inside the canvas (in_frame.py).
- motion_follow and held joints: motion.py; body_integrity: integrity.py; with a face stage's
  report, face_detection_rate and face_match_rate over the frames whose target shows a face: faces.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from dhcore.errors import InputError
from dhcore.metrics import faces, in_frame, integrity, motion
from dhcore.pose import extract
from dhcore.pose.keypoints import BODY_NAMES, FACE_JOINTS, N_BODY, UPPER_BODY, J, PoseSequence
from dhcore.stage import InputValue, Output, StageContext, StageDef, StageParams, StageResult, port

NAME = "evaluate.pose_pck"
VERSION = "7"
ALL_JOINTS = tuple(range(N_BODY))


class Params(StageParams):
    alpha: float = Field(0.1, gt=0, le=1)
    min_confidence: float = Field(0.3, ge=0, le=1)
    reference_confidence: float = Field(
        0.3,
        ge=0,
        le=1,
        description="joints the photo shows less surely are not scored (the animator's threshold)",
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
    face, face_ok = xy[:, FACE_JOINTS], vis[:, FACE_JOINTS]
    spans = [_span(face[f, face_ok[f]]) for f in range(len(xy)) if face_ok[f].sum() >= 2]
    if spans and np.median(spans) > 0:
        return 2.0 * float(np.median(spans))
    raise InputError("the target pose has neither a torso, shoulders nor a face to measure body size by")


def _span(points: np.ndarray) -> float:
    """The largest distance between two of the points."""
    return float(np.linalg.norm(points[:, None] - points[None], axis=-1).max())


def shown_by(reference: PoseSequence, params: Params) -> np.ndarray:
    """[18] bool: joints the reference photo shows at the animator's threshold."""
    return reference.visible(params.reference_confidence)[0]


def _inside(pose: PoseSequence) -> np.ndarray:
    """[F, 18] joints whose coordinates lie inside the frame."""
    x, y = pose.body[..., 0], pose.body[..., 1]
    return (x >= 0) & (x < 1) & (y >= 0) & (y < 1)


def scored(target: PoseSequence, params: Params, shown: np.ndarray | None = None) -> np.ndarray:
    """[F, 18] the frames and joints PCK scores: asked for by the target, in the frame, shown by the photo."""
    mask = target.visible(params.min_confidence) & _inside(target)
    return mask & shown[None, :] if shown is not None else mask


def correct(target: PoseSequence, detected: PoseSequence, params: Params) -> np.ndarray:
    """[F, 18] re-detected joints within alpha * body size of the target's."""
    if len(target) != len(detected):
        raise InputError(f"target has {len(target)} frames but {len(detected)} were detected")
    size = body_size(target, params.min_confidence)
    scale = (target.width, target.height)  # both normalized in the output frame
    dist = np.linalg.norm(detected.body[..., :2] * scale - target.body[..., :2] * scale, axis=-1)
    found = detected.visible(params.min_confidence) & np.isfinite(dist)
    return found & (np.nan_to_num(dist, nan=np.inf) <= params.alpha * size)


def per_frame(mask: np.ndarray, hits: np.ndarray, joints: tuple[int, ...] = ALL_JOINTS) -> list[float | None]:
    """Per-frame share of scored `joints` that are correct (None where a frame scores none of them)."""
    m, c = mask[:, list(joints)], hits[:, list(joints)] & mask[:, list(joints)]
    return [float(k) / float(n) if n else None for k, n in zip(c.sum(axis=1), m.sum(axis=1), strict=True)]


def pck(
    target: PoseSequence,
    detected: PoseSequence,
    params: Params | None = None,
    shown: np.ndarray | None = None,
    joints: tuple[int, ...] = ALL_JOINTS,
) -> list[float | None]:
    """Per-frame PCK of `detected` against `target` (same frame size, same length) over `joints`."""
    params = params or Params()
    return per_frame(scored(target, params, shown), correct(target, detected, params), joints)


def mean_pck(values: list[float | None]) -> float:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else 0.0


def head_in_frame(target: PoseSequence, detected: PoseSequence, min_confidence: float = 0.3) -> float | None:
    """Share of frames whose target shows the nose in the frame where the output's nose is in it too."""
    nose = J["nose"]
    asked = (target.visible(min_confidence) & _inside(target))[:, nose]
    found = (detected.visible(min_confidence) & _inside(detected))[:, nose]
    return float((found & asked).sum() / asked.sum()) if asked.any() else None


def score(
    target: PoseSequence, detected: PoseSequence, params: Params, shown: np.ndarray | None = None
) -> tuple[dict[str, float], dict[str, list[float | None]], list[str]]:
    """Every pose figure of the module docstring: (metrics, per-frame series, held joint names)."""
    mask = scored(target, params, shown)
    hits = correct(target, detected, params)
    size = body_size(target, params.min_confidence)
    moves = motion.joint_motion(target, detected, mask, size, params.min_confidence)
    held = motion.held_joints(moves)
    for name in held:
        hits[:, J[name]] = False  # a joint the animator did not move is not animated, wherever it is
    frames = per_frame(mask, hits)
    metrics = {
        "pose_pck": mean_pck(frames),
        "pose_pck_frames": float(sum(v is not None for v in frames)),
        "pose_pck_body_size_px": size,
        "pose_pck_joints": float(mask.any(axis=0).sum()),
        "pose_held_joints": float(len(held)),
    }
    for name, joints in (("pose_pck_limbs", motion.LIMBS), ("pose_pck_upper", UPPER_BODY)):
        if mask[:, list(joints)].any():  # a head-and-shoulders photo has no limb to score
            metrics[name] = mean_pck(per_frame(mask, hits, joints))
    for j in np.flatnonzero(mask.any(axis=0)):
        metrics[f"pose_pck_{BODY_NAMES[j]}"] = float((hits[:, j] & mask[:, j]).sum() / mask[:, j].sum())
    for name, m in moves.items():
        metrics[f"motion_follow_{name}"] = m["follow"]
    follow = motion.motion_follow(moves)
    if follow is not None:
        metrics["motion_follow"] = follow
    head = head_in_frame(target, detected, params.min_confidence)
    if head is not None:
        metrics["head_in_frame"] = head
    return metrics, {"pose_pck": frames}, held


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(
        port("frames", "frames", "video"),
        port("target", "pose"),
        port("reference", "pose", optional=True),
        port("face_report", "json", optional=True),
    ),
    outputs=(port("detected", "pose"),),
    impl="dhcore.metrics.pck:run",
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Re-detect poses on the frames, save them, and score them against the target.

    The reference (the 1-frame pose of the photo) restricts scoring to joints the photo shows; a face
    stage's report adds the face rates over frames whose target shows a face.
    """
    frames_path, target_pose_path = Path(inputs["frames"]), Path(inputs["target"])
    reference_pose_path, face_report_path = inputs.get("reference"), inputs.get("face_report")
    progress, out_path = ctx.progress, Path(out_dir) / "detected.npz"
    target = PoseSequence.load(target_pose_path)
    reference = PoseSequence.load(reference_pose_path) if reference_pose_path else None
    shown = shown_by(reference, params) if reference is not None else None
    segmenting = integrity.SegmentingDetector()
    detected, _ = extract.detect_video(
        Path(frames_path), extract.Params(detector="mediapipe", parts="body"), progress, detector=segmenting
    )
    if len(detected) != len(target):
        raise InputError(f"{frames_path}: has {len(detected)} frames but the target pose has {len(target)}")
    metrics, series, held = score(target, detected, params, shown)
    whole = segmenting.whole(Path(frames_path))
    metrics["body_integrity"] = float(np.mean(whole)) if whole else 0.0
    series["body_whole"] = [float(v) for v in whole]
    if reference is not None:
        inside = in_frame.frames_inside(target, reference, params.min_confidence, params.reference_confidence)
        if any(v is not None for v in inside):
            metrics["body_in_frame"] = float(np.mean([v for v in inside if v is not None]))
        series["body_in_frame"] = [None if v is None else float(v) for v in inside]
    if face_report_path is not None:
        metrics |= faces.rates(faces.load_report(Path(face_report_path)), faces.target_shows_face(target))
    detected.save(out_path)
    warnings = []
    if held:
        warnings.append(
            f"the animator held still joints the target moves (scored as misses): {', '.join(held)}"
        )
    meta = {"width": detected.width, "height": detected.height, "fps": detected.fps, "frames": len(detected)}
    return StageResult(
        outputs={"detected": Output(path=Path(out_path), kind="pose", meta=meta)},
        metrics=metrics,
        series=series,
        frames=len(detected),
        warnings=warnings,
    )
