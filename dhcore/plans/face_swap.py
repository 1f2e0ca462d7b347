"""The face-swap plan: identity photos + a target video -> the video with the identity's face, audio kept.

photos, video (, reference photo) -> faceswap.video -> assemble (the target's audio)
"""

from __future__ import annotations

from typing import Any

from dhcore.faceswap import stage
from dhcore.media import assemble
from dhcore.plan import Call, Plan, Ref, SpecInput, spec_input
from dhcore.quality import Verdict, judge
from dhcore.spec.face_swap import FaceSwapSpec

#: the figures promoted to the production's own metrics
PRODUCTION_METRICS = (
    "swap_rate", "identity_match_rate", "identity_distance_median", "identity_distance_max", "realism_median",
    "realism_min", "jitter", "jitter_raw",
)  # fmt: skip


def plan_face_swap(loaded: Any) -> Plan:
    spec: FaceSwapSpec = loaded.spec
    photos = [SpecInput(f"photo_{i}", loaded.files[("identity", "photos", i)], "image")
              for i in range(len(spec.identity.photos))]  # fmt: skip
    inputs = [*photos, SpecInput("video", loaded.files[("target", "video")], "video")]
    reference = loaded.files.get(("target", "reference"))
    if reference is not None:
        inputs.append(SpecInput("target_reference", reference, "image"))
    s = spec.swap
    params = stage.Params(
        face_backend=s.face_backend, identity_face=spec.identity.face, target_face=spec.target.face,
        reference_shape=s.reference_shape, blend=s.blend, shading=s.shading, threshold=s.threshold,
        tracking=s.tracking,
    )  # fmt: skip
    calls = (
        Call(
            "swap",
            stage.NAME,
            params,
            {
                "photo": [spec_input(p.role) for p in photos],
                "video": spec_input("video"),
                "target_reference": spec_input("target_reference") if reference is not None else None,
            },
        ),  # fmt: skip
        Call(
            "assemble",
            assemble.NAME,
            assemble.Params(audio="auto"),
            {"frames": Ref("swap", "frames"), "audio": spec_input("video")},
        ),  # fmt: skip
    )
    return Plan(tuple(inputs), calls, {"video": Ref("assemble", "video"), "report": Ref("swap", "report")})


def production_metrics(metrics: dict[str, dict[str, float]]) -> dict[str, float]:
    return {k: v for m in metrics.values() for k, v in m.items() if k in PRODUCTION_METRICS}


def verdict(loaded: Any, metrics: dict[str, float]) -> Verdict:
    return judge(metrics, loaded.spec.quality)
