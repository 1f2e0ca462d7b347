"""The dance-video flow: one photo + a driving motion -> a finished video, every step catalogued.

spec -> inputs -> pose.extract (photo, motion) -> pose.smooth -> pose.align -> pose.render
     -> animate -> face stages -> evaluate -> assemble (+ extras) -> report
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from prefect import flow

from dhcore.animate.registry import get_backend
from dhcore.catalog.repo import AssetRef
from dhcore.media import assemble, extras
from dhcore.metrics import pck
from dhcore.pose import align, extract, openpose_json, render
from dhcore.quality import judge
from dhcore.spec.dance import DanceSpec
from dhcore.spec.loader import LoadedSpec, load_spec
from flows.naming import production_name
from tasks.animate import animate
from tasks.evaluate import pose_pck
from tasks.face import measure_identity, refine_faces, restore_faces
from tasks.media import assemble_video, render_extras
from tasks.pose import align_pose, extract_pose, import_openpose, render_pose, smooth_pose
from tasks.production import close_production, open_production, production_guard, register_input
from tasks.step import RunContext, StepOutcome

#: stage metrics promoted to the production's own metrics (the `dh run --json` contract)
PRODUCTION_METRICS = (
    "pose_pck",
    "pose_pck_limbs",
    "pose_pck_upper",
    "motion_follow",
    "body_integrity",
    "head_in_frame",
    "face_match_rate",
    "face_match_rate_raw",
    "face_detection_rate",
    "face_threshold",
    "face_frames_expected",
)


def _inputs(ctx: RunContext, loaded: LoadedSpec) -> dict[str, AssetRef]:
    spec: DanceSpec = loaded.spec
    files = loaded.files
    refs = {
        "reference": register_input(ctx, files[("subject", "image")], "image", "reference"),
        "motion": register_input(
            ctx, files[("motion", "path")],
            {"video": "video", "keypoints": "pose", "openpose_json": "openpose_dir"}[spec.motion.type], "motion",
        ),
    }  # fmt: skip
    if spec.output.audio.source == "file":
        refs["audio"] = register_input(ctx, files[("output", "audio", "path")], "audio", "audio")
    for kind in getattr(spec.animate, "guidance", {}):
        refs[f"guidance_{kind}"] = register_input(
            ctx, files[("animate", "guidance", kind)], "video", f"guidance_{kind}"
        )
    return refs


def _driving_pose(ctx: RunContext, spec: DanceSpec, motion: AssetRef) -> AssetRef:
    if spec.motion.type == "keypoints":
        return motion
    if spec.motion.type == "video":
        params = extract.Params(detector=spec.pose.detector, parts=spec.pose.parts)
        return extract_pose(ctx, motion, params).out("pose")
    m = spec.motion
    return import_openpose(ctx, motion, openpose_json.Params(width=m.width, height=m.height, fps=m.fps)).out(
        "pose"
    )


def _audio(spec: DanceSpec, refs: dict[str, AssetRef]) -> AssetRef | None:
    source = spec.output.audio.source
    if source == "file":
        return refs["audio"]
    if source in ("driving", "auto") and spec.motion.type == "video":
        return refs["motion"]
    return None


def _face_stages(
    ctx: RunContext, spec: DanceSpec, frames: AssetRef, reference: AssetRef
) -> tuple[AssetRef, list[StepOutcome]]:
    """restore -> refine (measures identity before and after), or identity alone."""
    face, steps = spec.face, []
    if face.restore.backend != "none":
        steps.append(restore_faces(ctx, frames, reference, face))
        frames = steps[-1].out("frames")
    if face.refine.backend != "none":
        steps.append(refine_faces(ctx, frames, reference, face))
        frames = steps[-1].out("frames")
    elif face.identity.enabled:
        steps.append(measure_identity(ctx, frames, reference, face))
    return frames, steps


@dataclass(frozen=True)
class Poses:
    reference: AssetRef  # 1-frame pose of the photo (photo coordinates)
    target: AssetRef  # aligned driving poses (output coordinates)
    skeleton: AssetRef  # the target rendered as skeleton frames
    fps: str  # the driving motion's frame rate, exact


def _poses(ctx: RunContext, spec: DanceSpec, refs: dict[str, AssetRef]) -> Poses:
    """pose.extract (photo, motion) -> pose.smooth -> pose.align -> pose.render."""
    w, h = spec.animate.width, spec.animate.height
    reference = extract_pose(ctx, refs["reference"], extract.Params(detector=spec.pose.detector, parts="all"))
    driving = _driving_pose(ctx, spec, refs["motion"])
    if spec.pose.smoothing.enabled:
        driving = smooth_pose(ctx, driving, spec.pose.smoothing.stage_params()).out("pose")
    method = "musepose" if spec.pose.align.method == "auto" else spec.pose.align.method
    target = align_pose(
        ctx, reference.out("pose"), driving,
        align.Params(width=w, height=h, method=method, align_frame=spec.pose.align.frame),
    ).out("pose")  # fmt: skip
    skeleton = render_pose(ctx, target, render.Params(width=w, height=h)).out("skeleton")
    fps = str(Fraction(target.media["fps"]).limit_denominator(1001))
    return Poses(reference.out("pose"), target, skeleton, fps)


def _deliver(
    ctx: RunContext, spec: DanceSpec, refs: dict[str, AssetRef], poses: Poses, frames: AssetRef
) -> dict[str, AssetRef]:
    """assemble (the deliverable) and the preview extras, with the same soundtrack."""
    audio = _audio(spec, refs)
    audio_mode = "none" if audio is None else ("file" if spec.output.audio.source == "file" else "auto")
    out = spec.output
    params = assemble.Params(fps=out.fps, codec=out.codec, crf=out.crf, audio=audio_mode)
    outputs = {"video": assemble_video(ctx, frames, audio, params).out("video")}
    if out.extras.side_by_side or out.extras.skeleton_overlay:
        # previews: their own (faster) encoding, so changing the deliverable's crf re-encodes only it
        preview = extras.Params(
            fps=out.fps, codec=out.codec, crf=23, preset="superfast", audio=audio_mode,
            side_by_side=out.extras.side_by_side, skeleton_overlay=out.extras.skeleton_overlay,
        )  # fmt: skip
        outputs |= render_extras(ctx, refs["reference"], poses.skeleton, frames, audio, preview).outputs
    return outputs


def _production_metrics(steps: list[StepOutcome]) -> dict[str, float]:
    # later steps win: evaluate.pose_pck's face rates count the frames where the target shows a face
    metrics = {k: v for s in steps for k, v in s.metrics.items() if k in PRODUCTION_METRICS}
    if metrics.get("face_frames_expected") == 0:  # the target never shows a face: there is none to match
        for name in ("face_match_rate", "face_match_rate_raw", "face_detection_rate"):
            metrics.pop(name, None)
    if "face_match_rate" in metrics:  # without refinement, the delivered frames are the raw ones
        metrics.setdefault("face_match_rate_raw", metrics["face_match_rate"])
    return metrics


@flow(name="dance-video", flow_run_name=production_name, log_prints=False, validate_parameters=True)
def dance_video(spec_path: str, production_id: str | None = None) -> dict[str, Any]:
    started = time.time()
    loaded = load_spec(spec_path)
    spec: DanceSpec = loaded.spec
    ctx = open_production(loaded, production_id)
    with production_guard(ctx):
        refs = _inputs(ctx, loaded)
        poses = _poses(ctx, spec, refs)
        backend = get_backend(spec.animate.backend)
        frames = animate(
            ctx, spec.animate.backend, backend.Params(**spec.animate.params), refs["reference"], poses.reference,
            poses.target, poses.skeleton, spec.animate.width, spec.animate.height, poses.fps, spec.animate.seed,
            {k.removeprefix("guidance_"): v for k, v in refs.items() if k.startswith("guidance_")},
        ).out("frames")  # fmt: skip
        frames, steps = _face_stages(ctx, spec, frames, refs["reference"])
        # PCK re-detects poses on the delivered frames while ffmpeg encodes them: two cores, two jobs
        report = next(
            (s.out("report") for s in reversed(steps) if s.stage in ("face.refine", "face.identity")), None
        )
        pck_step = pose_pck.submit(ctx, frames, poses.target, poses.reference, pck.Params(), report)
        outputs = _deliver(ctx, spec, refs, poses, frames)
        metrics = _production_metrics([*steps, pck_step.result()])
        verdict = judge(metrics, spec.quality)
        info = close_production(ctx, outputs, metrics, status=verdict.status, reasons=verdict.reasons)
    return {"production_id": ctx.production_id, "status": info["status"], "flow_started_at": started}
