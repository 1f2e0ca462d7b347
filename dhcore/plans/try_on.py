"""The try-on plan: a person photo + a garment's product photo -> the dressed photo and its figures.

person -> pose.extract -> tryon.<backend> (with the garment) -> tryon.figures (person, garment, result)
With `then: dance`, the dressed photo is the dance plan's reference (dhcore.plans.dance): one
production, its lineage running from the garment through the dressed photo to the video.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from dhcore.plan import Binding, Call, Plan, Ref, SpecInput, spec_input
from dhcore.plans import dance
from dhcore.pose import extract
from dhcore.quality import Verdict, judge
from dhcore.spec.try_on import TryOnSpec
from dhcore.tryon import figures
from dhcore.tryon.backends import TRY_ON

#: the figures promoted to the production's own metrics
PRODUCTION_METRICS = (
    "garment_colour", "garment_ssim", "silhouette_iou", "background_psnr", "face_distance", "garment_area",
    "inpainted_area", "collar_offset", "shoulder_cover", "torso_cover", "legs_cover", "garment_outside",
    "garment_upscale", "seam_new_edges", "shading_agreement",
)  # fmt: skip


def plan_try_on(loaded: Any) -> Plan:
    spec: TryOnSpec = loaded.spec
    inputs = (
        SpecInput("person", loaded.files[("person", "image")], "image"),
        SpecInput("garment", loaded.files[("garment", "image")], "image"),
    )
    backend = TRY_ON[spec.backend].load()
    produced = {role.role for role in backend.outputs}
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
            backend.Params(**spec.backend_params, category=spec.garment.category),
            {
                "person": spec_input("person"),
                "garment": spec_input("garment"),
                "person_pose": Ref("person_pose", "pose"),
            },
        ),  # fmt: skip
        Call(
            "figures",
            figures.NAME,
            figures.Params(category=spec.garment.category),
            {
                "person": spec_input("person"),
                "garment": spec_input("garment"),
                "result": Ref("try_on", "image"),
                "edit_mask": Ref("try_on", "edit_mask"),
                **(
                    {"warped_garment": Ref("try_on", "warped_garment")}
                    if "warped_garment" in produced
                    else {}
                ),
                "person_pose": Ref("person_pose", "pose"),
            },
        ),  # fmt: skip
    ]
    tried = Plan(inputs, tuple(calls), {"image": Ref("try_on", "image")})
    return tried if spec.then is None else then_dance(loaded, tried)


def dance_loaded(loaded: Any) -> Any:
    """The `then: dance` block as a loaded dance_video spec whose subject is the person photo (the
    dressed photo has its size, which the dance canvas follows)."""
    spec: TryOnSpec = loaded.spec
    person = loaded.files[("person", "image")]
    files = {loc[2:]: path for loc, path in loaded.files.items() if loc[:2] == ("then", "dance")}
    files[("subject", "image")] = person
    return SimpleNamespace(spec=spec.then.dance.dance_spec(person, spec.name), files=files)


def then_dance(loaded: Any, tried: Plan) -> Plan:
    """The try-on's calls, then the dance plan's with the dressed photo in place of its reference."""
    danced = dance.plan_dance(dance_loaded(loaded))
    dressed = Ref("try_on", "image")

    def bind(value: Binding) -> Binding:
        if isinstance(value, list):
            return [dressed if v == spec_input("reference") else v for v in value]
        return dressed if value == spec_input("reference") else value

    calls = [replace(c, inputs={role: bind(v) for role, v in c.inputs.items()}) for c in danced.calls]
    inputs = tried.inputs + tuple(i for i in danced.inputs if i.role != "reference")
    outputs = {**tried.outputs, **{role: bind(ref) for role, ref in danced.outputs.items()}}
    return Plan(inputs, tried.calls + tuple(calls), outputs)


def production_metrics(metrics: dict[str, dict[str, float]]) -> dict[str, float]:
    found = {k: v for m in metrics.values() for k, v in m.items() if k in PRODUCTION_METRICS}
    return found | dance.production_metrics(metrics)


def verdict(loaded: Any, metrics: dict[str, float]) -> Verdict:
    """The try-on's gates, and the dance's too when it danced: the worse status, every reason."""
    tried = judge(metrics, loaded.spec.quality)
    if loaded.spec.then is None:
        return tried
    danced = judge(metrics, loaded.spec.then.dance.quality)
    order = ("succeeded", "needs_review", "failed")
    status = max(tried.status, danced.status, key=order.index)
    return Verdict(status, tried.reasons + danced.reasons)
