"""The face-edit plan: photo -> face_edit.mesh (still, and frames when keyframed) -> face_edit.figures;
keyframed frames -> assemble (a silent mp4)."""

from __future__ import annotations

from typing import Any

from dhcore.faceedit import figures, render, video
from dhcore.media import assemble
from dhcore.plan import Call, Plan, Ref, SpecInput, spec_input
from dhcore.quality import Verdict, judge
from dhcore.spec.face_edit import FaceEditSpec

PRODUCTION_METRICS = (
    "edit_achieved",
    "edit_error",
    "face_distance",
    "lip_colour_shift",
    "frames_without_face",
)


def plan_face_edit(loaded: Any) -> Plan:
    spec: FaceEditSpec = loaded.spec
    if spec.video is not None:
        return _plan_video(loaded)
    inputs = (SpecInput("photo", loaded.files[("photo",)], "image"),)
    calls = [
        Call(
            "edit",
            render.NAME,
            render.Params(edits=spec.edits, keyframes=spec.keyframes, fps=spec.fps),
            {"photo": spec_input("photo")},
        ),  # fmt: skip
        Call(
            "figures",
            figures.NAME,
            figures.Params(edits=spec.edits),
            {"photo": spec_input("photo"), "result": Ref("edit", "image")},
        ),  # fmt: skip
    ]
    outputs = {"image": Ref("edit", "image")}
    if spec.keyframes:
        calls.append(
            Call("assemble", assemble.NAME, assemble.Params(audio="none"), {"frames": Ref("edit", "frames")})
        )
        outputs["video"] = Ref("assemble", "video")
    return Plan(inputs, tuple(calls), outputs)


def _plan_video(loaded: Any) -> Plan:
    """video -> face_edit.mesh_video -> assemble (the video's own soundtrack) and face_edit.figures
    (the middle frame before and after)."""
    spec: FaceEditSpec = loaded.spec
    calls = (
        Call("edit", video.NAME, video.Params(edits=spec.edits), {"video": spec_input("video")}),
        Call(
            "assemble",
            assemble.NAME,
            assemble.Params(audio="auto"),
            {"frames": Ref("edit", "frames"), "audio": spec_input("video")},
        ),  # fmt: skip
        Call(
            "figures",
            figures.NAME,
            figures.Params(edits=spec.edits),
            {"photo": Ref("edit", "original"), "result": Ref("edit", "image")},
        ),  # fmt: skip
    )
    inputs = (SpecInput("video", loaded.files[("video",)], "video"),)
    return Plan(inputs, calls, {"video": Ref("assemble", "video"), "image": Ref("edit", "image")})


def production_metrics(metrics: dict[str, dict[str, float]]) -> dict[str, float]:
    return {k: v for m in metrics.values() for k, v in m.items() if k in PRODUCTION_METRICS}


def verdict(loaded: Any, metrics: dict[str, float]) -> Verdict:
    return judge(metrics, loaded.spec.quality)
