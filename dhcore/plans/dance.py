"""The dance-video plan: one photo + a driving motion -> a finished video.

inputs -> pose.extract (photo, motion) -> pose.smooth -> pose.align -> pose.render -> animate.<backend>
       -> face stages -> evaluate.pose_pck (alongside) + assemble (+ render.extras)
"""

from __future__ import annotations

from typing import Any

from dhcore.animate.registry import entry as animate_entry
from dhcore.animate.registry import stage as animate_stage
from dhcore.face.params import RefineStageParams, RestoreStageParams
from dhcore.media import assemble, extras
from dhcore.metrics import pck
from dhcore.plan import Call, Plan, Ref, SpecInput, spec_input
from dhcore.pose import align, extract, openpose_json, render
from dhcore.quality import Verdict, judge
from dhcore.spec.dance import DanceSpec, canvas_size

#: stage metrics promoted to the production's own metrics (the `dh run --json` contract)
PRODUCTION_METRICS = (
    "pose_pck",
    "pose_pck_limbs",
    "pose_pck_upper",
    "motion_follow",
    "body_integrity",
    "head_in_frame",
    "body_in_frame",
    "face_match_rate",
    "face_match_rate_raw",
    "face_detection_rate",
    "face_threshold",
    "face_frames_expected",
    "head_only_kept",
)
#: the previews' own (faster) encoding, so changing the deliverable's crf re-encodes only it
PREVIEW_CRF, PREVIEW_PRESET = 23, "superfast"
MOTION_KINDS = {"video": "video", "keypoints": "pose", "openpose_json": "openpose_dir"}


def _inputs(loaded: Any) -> tuple[SpecInput, ...]:
    spec: DanceSpec = loaded.spec
    files = loaded.files
    inputs = [
        SpecInput("reference", files[("subject", "image")], "image"),
        SpecInput("motion", files[("motion", "path")], MOTION_KINDS[spec.motion.type]),
    ]
    if spec.output.audio.source == "file":
        inputs.append(SpecInput("audio", files[("output", "audio", "path")], "audio"))
    for kind in getattr(spec.animate, "guidance", {}):
        inputs.append(SpecInput(f"guidance_{kind}", files[("animate", "guidance", kind)], "video"))
    return tuple(inputs)


def _pose_calls(spec: DanceSpec, w: int, h: int) -> tuple[list[Call], Ref]:
    """pose.extract (photo, motion) -> pose.smooth -> pose.align -> pose.render; returns the target pose."""
    params = extract.Params(detector=spec.pose.detector, parts="all", person=spec.subject.person)
    calls = [Call("reference_pose", "pose.extract", params, {"source": spec_input("reference")})]
    driving = spec_input("motion")
    if spec.motion.type == "video":
        params = extract.Params(detector=spec.pose.detector, parts=spec.pose.parts)
        calls.append(Call("driving_pose", "pose.extract", params, {"source": driving}))
        driving = Ref("driving_pose", "pose")
    elif spec.motion.type == "openpose_json":
        m = spec.motion
        params = openpose_json.Params(width=m.width, height=m.height, fps=m.fps)
        calls.append(Call("driving_pose", "pose.import_openpose", params, {"folder": driving}))
        driving = Ref("driving_pose", "pose")
    if spec.pose.smoothing.enabled:
        calls.append(Call("smooth", "pose.smooth", spec.pose.smoothing.stage_params(), {"pose": driving}))
        driving = Ref("smooth", "pose")
    method = "musepose" if spec.pose.align.method == "auto" else spec.pose.align.method
    params = align.Params(width=w, height=h, method=method, align_frame=spec.pose.align.frame)
    calls.append(
        Call("align", "pose.align", params, {"reference": Ref("reference_pose", "pose"), "driving": driving})
    )
    calls.append(
        Call("render", "pose.render", render.Params(width=w, height=h), {"pose": Ref("align", "pose")})
    )
    return calls, Ref("align", "pose")


def _face_calls(spec: DanceSpec, frames: Ref, target: Ref) -> tuple[list[Call], Ref]:
    """restore -> refine (measures identity before and after), or identity alone; returns the frames.
    The target pose tells restore and refine where to look for a lost face."""
    face, calls = spec.face, []
    # the reference pose is the animated person's (subject.person): its nose picks a group photo's face
    reference, person = spec_input("reference"), Ref("reference_pose", "pose")
    if face.restore.backend != "none":
        params = RestoreStageParams(restore=face.restore, identity=face.identity)
        inputs = {"frames": frames, "reference": reference, "pose": target, "reference_pose": person}
        calls.append(Call("face_restore", "face.restore", params, inputs))
        frames = Ref("face_restore", "frames")
    if face.refine.backend != "none":
        params = RefineStageParams(refine=face.refine, identity=face.identity, restore=face.restore)
        inputs = {"frames": frames, "reference": reference, "pose": target, "reference_pose": person}
        calls.append(Call("face_refine", "face.refine", params, inputs))
        frames = Ref("face_refine", "frames")
    elif face.identity.enabled:
        inputs = {"frames": frames, "reference": reference, "reference_pose": person}
        calls.append(Call("face_identity", "face.identity", face.identity, inputs))
    return calls, frames


def _audio(spec: DanceSpec) -> Ref | None:
    source = spec.output.audio.source
    if source == "file":
        return spec_input("audio")
    if source in ("driving", "auto") and spec.motion.type == "video":
        return spec_input("motion")
    return None


def plan_dance(loaded: Any) -> Plan:
    spec: DanceSpec = loaded.spec
    inputs = _inputs(loaded)
    # unset width/height follow the photo's aspect, so a portrait photo is never cropped to its middle
    w, h = spec.animate.width, spec.animate.height
    if w is None or h is None:
        w, h = canvas_size(spec, extract.read_image(loaded.files[("subject", "image")]).shape[1::-1])
    calls, target = _pose_calls(spec, w, h)
    animate = animate_stage(spec.animate.backend)
    params = animate.Params(
        width=w,
        height=h,
        seed=spec.animate.seed,
        params=spec.animate.params,
    )
    guidance = {i.role: spec_input(i.role) for i in inputs if i.role.startswith("guidance_")}
    if animate_entry(spec.animate.backend).driving:  # the driver's face: the video and its unaligned poses
        guidance["driving_video"] = spec_input("motion")
        guidance["driving_pose"] = Ref("smooth" if spec.pose.smoothing.enabled else "driving_pose", "pose")
    calls.append(Call("animate", animate.name, params, {
        "reference_image": spec_input("reference"), "reference_pose": Ref("reference_pose", "pose"),
        "target_pose": target, "skeleton": Ref("render", "skeleton"), **guidance,
    }))  # fmt: skip
    face_calls, frames = _face_calls(spec, Ref("animate", "frames"), target)
    calls += face_calls
    # the face stage's per-frame report gives the face rates over frames whose target shows a face
    face_report = next((Ref(c.id, "report") for c in reversed(face_calls) if c.id != "face_restore"), None)
    # PCK re-detects poses on the delivered frames while ffmpeg encodes them: two cores, two jobs
    calls.append(Call("pck", pck.NAME, pck.Params(), {
        "frames": frames, "target": target, "reference": Ref("reference_pose", "pose"), "face_report": face_report,
    }, wait=False))  # fmt: skip
    audio = _audio(spec)
    audio_mode = "none" if audio is None else ("file" if spec.output.audio.source == "file" else "auto")
    out = spec.output
    params = assemble.Params(fps=out.fps, codec=out.codec, crf=out.crf, audio=audio_mode)
    calls.append(Call("assemble", assemble.NAME, params, {"frames": frames, "audio": audio}))
    outputs = {"video": Ref("assemble", "video")}
    if out.extras.side_by_side or out.extras.skeleton_overlay:
        preview = extras.Params(
            fps=out.fps, codec=out.codec, crf=PREVIEW_CRF, preset=PREVIEW_PRESET, audio=audio_mode,
            side_by_side=out.extras.side_by_side, skeleton_overlay=out.extras.skeleton_overlay,
        )  # fmt: skip
        calls.append(Call("extras", extras.NAME, preview, {
            "reference": spec_input("reference"), "skeleton": Ref("render", "skeleton"), "result": frames,
            "audio": audio,
        }))  # fmt: skip
        if out.extras.side_by_side:
            outputs[extras.SIDE_BY_SIDE] = Ref("extras", extras.SIDE_BY_SIDE)
        if out.extras.skeleton_overlay:
            outputs[extras.SKELETON_OVERLAY] = Ref("extras", extras.SKELETON_OVERLAY)
    return Plan(inputs, tuple(calls), outputs)


def production_metrics(metrics: dict[str, dict[str, float]]) -> dict[str, float]:
    """The production's own figures from its calls' metrics (call id -> metrics, in plan order).

    Later calls win: evaluate.pose_pck's face rates count the frames where the target shows a face."""
    found = {k: v for m in metrics.values() for k, v in m.items() if k in PRODUCTION_METRICS}
    if found.get("face_frames_expected") == 0:  # the target never shows a face: there is none to match
        for name in ("face_match_rate", "face_match_rate_raw", "face_detection_rate"):
            found.pop(name, None)
    if "face_match_rate" in found:  # without refinement, the delivered frames are the raw ones
        found.setdefault("face_match_rate_raw", found["face_match_rate"])
    return found


def verdict(loaded: Any, metrics: dict[str, float]) -> Verdict:
    """The spec's quality gates on the production's figures: succeeded, needs_review or failed."""
    return judge(metrics, loaded.spec.quality)
