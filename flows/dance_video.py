"""The dance-video flow: one photo + a driving motion -> a finished video, every step catalogued.

spec -> inputs -> pose.extract (photo, motion) -> pose.smooth -> pose.align -> pose.render
     -> animate -> face stages -> evaluate -> assemble (+ extras) -> report
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Any

from prefect import flow, get_run_logger

from dhcore.animate.registry import get_backend
from dhcore.catalog.repo import AssetRef
from dhcore.media import assemble, extras
from dhcore.metrics import pck
from dhcore.pose import align, extract, openpose_json, render
from dhcore.spec.dance import DanceSpec
from dhcore.spec.loader import LoadedSpec, load_spec
from flows.naming import production_name
from tasks.animate import animate
from tasks.evaluate import pose_pck
from tasks.face import measure_identity, refine_faces, restore_faces
from tasks.media import assemble_video, render_extras
from tasks.pose import align_pose, extract_pose, import_openpose, render_pose, smooth_pose
from tasks.production import close_production, fail_production, open_production, register_input
from tasks.step import RunContext, StepOutcome

#: stage metrics promoted to the production's own metrics (the `dh run --json` contract)
PRODUCTION_METRICS = (
    "pose_pck",
    "face_match_rate",
    "face_match_rate_raw",
    "face_detection_rate",
    "face_threshold",
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


@flow(name="dance-video", flow_run_name=production_name, log_prints=False, validate_parameters=True)
def dance_video(spec_path: str, production_id: str | None = None) -> dict[str, Any]:
    started = time.time()
    log = get_run_logger()
    loaded = load_spec(spec_path)
    spec: DanceSpec = loaded.spec
    ctx = open_production(loaded, production_id)
    try:
        refs = _inputs(ctx, loaded)
        w, h = spec.animate.width, spec.animate.height
        steps: list[StepOutcome] = []

        ref_pose = extract_pose(
            ctx, refs["reference"], extract.Params(detector=spec.pose.detector, parts="all")
        )
        driving = _driving_pose(ctx, spec, refs["motion"])
        if spec.pose.smoothing.enabled:
            driving = smooth_pose(ctx, driving, spec.pose.smoothing.stage_params()).out("pose")
        method = "musepose" if spec.pose.align.method == "auto" else spec.pose.align.method
        aligned = align_pose(
            ctx, ref_pose.out("pose"), driving,
            align.Params(width=w, height=h, method=method, align_frame=spec.pose.align.frame),
        )  # fmt: skip
        skeleton = render_pose(ctx, aligned.out("pose"), render.Params(width=w, height=h))
        fps = str(Fraction(aligned.out("pose").media["fps"]).limit_denominator(1001))

        backend = get_backend(spec.animate.backend)
        params = backend.Params(**spec.animate.params)
        frames = animate(
            ctx, spec.animate.backend, params, refs["reference"], ref_pose.out("pose"), aligned.out("pose"),
            skeleton.out("skeleton"), w, h, fps, spec.animate.seed,
        ).out("frames")  # fmt: skip

        frames, face_steps = _face_stages(ctx, spec, frames, refs["reference"])
        steps += face_steps
        pck_step = pose_pck.submit(ctx, frames, aligned.out("pose"), ref_pose.out("pose"), pck.Params())
        audio = _audio(spec, refs)
        encode = {"fps": spec.output.fps, "codec": spec.output.codec, "crf": spec.output.crf}
        audio_mode = "none" if audio is None else ("file" if spec.output.audio.source == "file" else "auto")
        video = assemble_video(ctx, frames, audio, assemble.Params(**encode, audio=audio_mode))
        outputs = {"video": video.out("video")}
        ex = spec.output.extras
        if ex.side_by_side or ex.skeleton_overlay:
            extra = render_extras(
                ctx, refs["reference"], skeleton.out("skeleton"), frames, audio,
                # previews: their own (faster) encoding, so changing the deliverable's crf re-encodes only it
                extras.Params(
                    fps=spec.output.fps, codec=spec.output.codec, crf=23, preset="superfast", audio=audio_mode,
                    side_by_side=ex.side_by_side, skeleton_overlay=ex.skeleton_overlay,
                ),
            )  # fmt: skip
            outputs.update(extra.outputs)
        steps.append(pck_step.result())
        metrics = {k: v for s in steps for k, v in s.metrics.items() if k in PRODUCTION_METRICS}
        if "face_match_rate" in metrics:  # without refinement, the delivered frames are the raw ones
            metrics.setdefault("face_match_rate_raw", metrics["face_match_rate"])
        info = close_production(ctx, outputs, metrics)
    except BaseException as exc:
        log.error("production %s failed: %s", ctx.production_id, exc)
        fail_production(ctx, exc)
        raise
    return {"production_id": ctx.production_id, "status": info["status"], "flow_started_at": started}
