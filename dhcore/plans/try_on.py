"""The try-on plan: a person photo + a garment's product photo -> the dressed photo and its figures.

person -> pose.extract -> tryon.<backend> (with the garment) -> tryon.figures (person, garment, result)
"""

from __future__ import annotations

from typing import Any

from dhcore.plan import Call, Plan, Ref, SpecInput, spec_input
from dhcore.pose import extract
from dhcore.quality import Verdict, judge
from dhcore.spec.try_on import TryOnSpec
from dhcore.tryon import figures, warp

#: the figures promoted to the production's own metrics
PRODUCTION_METRICS = (
    "garment_colour", "garment_ssim", "silhouette_iou", "background_psnr", "face_distance", "garment_area",
    "inpainted_area", "collar_offset", "shoulder_cover", "torso_cover", "garment_outside", "garment_upscale", "seam_new_edges",
    "shading_agreement",
)  # fmt: skip


def plan_try_on(loaded: Any) -> Plan:
    spec: TryOnSpec = loaded.spec
    inputs = (
        SpecInput("person", loaded.files[("person", "image")], "image"),
        SpecInput("garment", loaded.files[("garment", "image")], "image"),
    )
    backend = warp.STAGE  # the one backend so far (spec.backend == "warp")
    calls = [
        Call(
            "person_pose",
            extract.NAME,
            extract.Params(person=spec.person.person),
            {"source": spec_input("person")},
        ),
        Call(
            "try_on",
            backend.name,
            backend.Params(**spec.backend_params),
            {
                "person": spec_input("person"),
                "garment": spec_input("garment"),
                "person_pose": Ref("person_pose", "pose"),
            },
        ),  # fmt: skip
        Call(
            "figures",
            figures.NAME,
            figures.Params(),
            {
                "person": spec_input("person"),
                "garment": spec_input("garment"),
                "result": Ref("try_on", "image"),
                "edit_mask": Ref("try_on", "edit_mask"),
                "warped_garment": Ref("try_on", "warped_garment"),
                "person_pose": Ref("person_pose", "pose"),
            },
        ),  # fmt: skip
    ]
    return Plan(inputs, tuple(calls), {"image": Ref("try_on", "image")})


def production_metrics(metrics: dict[str, dict[str, float]]) -> dict[str, float]:
    return {k: v for m in metrics.values() for k, v in m.items() if k in PRODUCTION_METRICS}


def verdict(loaded: Any, metrics: dict[str, float]) -> Verdict:
    return judge(metrics, loaded.spec.quality)
