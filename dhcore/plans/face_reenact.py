"""The reenactment plan: source + driver -> face_reenact.<backend> -> assemble (the driver's soundtrack when
it has one) -> face_reenact.figures (rendered frames vs driver and source)."""

from __future__ import annotations

from typing import Any

from dhcore.media import assemble
from dhcore.plan import Call, Plan, Ref, SpecInput, spec_input
from dhcore.quality import Verdict, judge
from dhcore.reenact import figures
from dhcore.reenact.backends import REENACT
from dhcore.reenact.checks import stage_params
from dhcore.spec.face_reenact import FaceReenactSpec

PRODUCTION_METRICS = (
    "motion_distance", "head_pose_distance", "face_distance_max", "face_distance_mean", "landmark_jitter",
    "driver_jitter", "frames_without_face", "face_found_rate", "driver_frames_without_face",
)  # fmt: skip


def plan_face_reenact(loaded: Any) -> Plan:
    spec: FaceReenactSpec = loaded.spec
    inputs = (
        SpecInput("source", loaded.files[("source",)], "image"),
        SpecInput("driver", loaded.files[("driver",)], "video"),
    )
    backend = REENACT[spec.backend].load()
    faces = {"source": spec_input("source"), "driver": spec_input("driver")}
    calls = (
        Call("render", backend.name, stage_params(spec), faces),
        Call(
            "assemble",
            assemble.NAME,
            assemble.Params(audio=spec.audio),
            {"frames": Ref("render", "frames"), "audio": spec_input("driver")},
        ),  # fmt: skip
        Call("figures", figures.NAME, figures.Params(), {**faces, "frames": Ref("render", "frames")}),
    )
    return Plan(inputs, calls, {"video": Ref("assemble", "video")})


def production_metrics(metrics: dict[str, dict[str, float]]) -> dict[str, float]:
    return {k: v for m in metrics.values() for k, v in m.items() if k in PRODUCTION_METRICS}


def verdict(loaded: Any, metrics: dict[str, float]) -> Verdict:
    return judge(metrics, loaded.spec.quality)
