"""Which registered models a spec's production reads, and whether their licences allow what the spec asks.

A spec with `licence: commercial` must not name a backend or face stage whose weights are
research-only or non-commercial; the validator reports each such model at the field that chose it.
"""

from __future__ import annotations

from typing import Any

from dhcore.backends import kind_backend_models
from dhcore.errors import ModelError
from dhcore.models import ids

Loc = tuple[str | int, ...]

#: registry ids a face backend reads besides dlib's landmark data (which every face stage uses)
FACE_BACKEND_MODELS = {"dlib": [], "mediapipe": [ids.MEDIAPIPE_MODELS], "insightface": [ids.BUFFALO_L]}
DLIB = ids.DLIB_FACE_MODELS


def spec_models(spec: Any) -> list[tuple[Loc, str]]:
    """(the spec field that chose it, model id) for every registered model the production reads."""
    if spec.kind == "dance_video":
        return _dance_models(spec)
    if spec.kind == "photo_shoot":
        return _photo_shoot_models(spec)
    if spec.kind == "try_on":
        return _try_on_models(spec)
    if spec.kind in KIND_MODELS:
        return [(("kind",), m) for m in KIND_MODELS[spec.kind]] + kind_backend_models(spec)
    raise KeyError(f"no model list for spec kind {spec.kind!r}")


#: what the embedded face kinds read whatever their settings: MediaPipe's face mesh (inside the wheel)
#: and dlib's landmarks and descriptor (the swap engine's landmarks, every kind's identity figures)
KIND_MODELS = {
    "face_swap": [DLIB],
    "face_edit": [ids.MEDIAPIPE_MODELS, DLIB],
    "talking_head": [ids.MEDIAPIPE_MODELS, DLIB],
    "face_reenact": [ids.MEDIAPIPE_MODELS, DLIB],
}


def _try_on_models(spec: Any) -> list[tuple[Loc, str]]:
    found: list[tuple[Loc, str]] = [(("kind",), ids.MEDIAPIPE_MODELS), (("kind",), DLIB)]  # pose, face figure
    found += kind_backend_models(spec)
    if spec.then is not None:
        dance = spec.then.dance.dance_spec(spec.person.image, None)
        found += [(("then", "dance", *loc), m) for loc, m in _dance_models(dance) if loc[0] != "subject"]
    return found


def _dance_models(spec: Any) -> list[tuple[Loc, str]]:
    from dhcore.animate.registry import entry
    from dhcore.face.backends import refiner_model_ids, restorer_model_ids
    from dhcore.pose.detectors import DETECTORS

    detector = list(DETECTORS[spec.pose.detector].model_ids) or [ids.MEDIAPIPE_MODELS]  # or inside the wheel
    found: list[tuple[Loc, str]] = [(("pose", "detector"), m) for m in detector]
    backend = entry(spec.animate.backend)  # the torch-free table: validating never loads torch
    params = spec.animate.params  # typed by the spec's backend union (a dict only in hand-made specs)
    animate = backend.ids(params if isinstance(params, backend.Params) else backend.Params(**params))
    if spec.animate.backend == "warp":
        animate = [ids.MEDIAPIPE_MODELS]  # selfie segmentation, inside the wheel
    found += [(("animate", "backend"), m) for m in animate]
    face = spec.face
    if spec.face_stages_requested():
        found += [
            (("face", "identity", "backend"), m) for m in [DLIB, *FACE_BACKEND_MODELS[face.identity.backend]]
        ]
        found += [(("face", "restore", "backend"), m) for m in restorer_model_ids(face.restore.backend)]
        found += [(("face", "refine", "backend"), m) for m in refiner_model_ids(face.refine, face.identity)]
    return found


def _photo_shoot_models(spec: Any) -> list[tuple[Loc, str]]:
    from dhcore.shoot.registry import get_backend

    backend = get_backend(spec.backend)
    params = spec.backend_call_params()
    face = [DLIB, *FACE_BACKEND_MODELS[spec.identity.face_backend]]
    found: list[tuple[Loc, str]] = [(("identity", "face_backend"), m) for m in face]
    found += [(("backend",), m) for m in backend.model_ids(backend.Params(**params))]
    if spec.backend == "arc2face":  # its identity vector comes from the shoot.arcface stage
        from dhcore.shoot.arcface import model_ids as arcface_model_ids

        found += [(("backend",), m) for m in arcface_model_ids()]
    return found


def commercial_problems(spec: Any) -> list[tuple[Loc, str]]:
    """With `licence: commercial`: one problem per model whose licence does not allow commercial use."""
    from dhcore.models import registry

    if getattr(spec, "licence", "any") != "commercial":
        return []
    problems: list[tuple[Loc, str]] = []
    seen: set[str] = set()
    for loc, model_id in spec_models(spec):
        try:
            model = registry.get(model_id)
        except ModelError:  # an unknown model id is reported by the model checks
            continue
        if model.commercial or model_id in seen:
            continue
        seen.add(model_id)
        problems.append(
            (loc, f"model {model_id!r} is not licensed for commercial use ({model.license}); "
                  "the spec demands licence: commercial")
        )  # fmt: skip
    return problems


def licence_rows(kind: str, normalized: dict[str, Any]) -> list[dict[str, Any]]:
    """For the production report: each model the recorded spec reads, with its licence."""
    from dhcore.models import registry
    from dhcore.spec.kinds import KINDS, validate

    if kind not in KINDS:
        return []
    try:
        spec = validate(normalized)
        uses = spec_models(spec)
    except Exception:  # noqa: BLE001 - a spec recorded by an older version: no licence table
        return []
    rows: dict[str, dict[str, Any]] = {}
    for _, model_id in uses:
        m = registry.get(model_id)
        rows.setdefault(model_id, {"id": model_id, "license": m.license, "commercial": m.commercial})
    return list(rows.values())
