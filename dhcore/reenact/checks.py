"""`dh validate` checks of the reenactment's backend: its params, and its weights installed and in the
release layout (at `backend_params`, naming the file and the keys)."""

from __future__ import annotations

from typing import Any

from dhcore.reenact.backends import REENACT

Problems = list[tuple[tuple[str | int, ...], str]]


def stage_params(spec: Any) -> Any:
    """The backend stage's params: the spec's motion settings and its backend_params."""
    return REENACT[spec.backend].load().Params(**spec.motion.model_dump(), **spec.backend_params)


def backend_problems(spec: Any) -> Problems:
    from dhcore.errors import ModelError
    from dhcore.models.registry import missing_problem, model_dir

    if spec.backend == "mesh":
        return (
            [(("backend_params",), "the mesh backend takes no backend_params")] if spec.backend_params else []
        )
    clash = sorted(set(spec.backend_params) & set(spec.motion.model_fields))
    if clash:
        return [(("backend_params", clash[0]), "set it under motion instead")]
    try:
        params = stage_params(spec)
    except ValueError as exc:
        errors = getattr(exc, "errors", lambda: [])()
        return [(("backend_params", *e["loc"]), str(e["msg"])) for e in errors]
    loc: tuple[str | int, ...] = (
        ("backend_params", "model") if "model" in spec.backend_params else ("backend",)
    )
    if problem := missing_problem(params.model):
        return [(loc, problem)]
    from dhcore.reenact.liveportrait import stitching
    from dhcore.reenact.liveportrait.weights import checked, read

    folder = model_dir(params.model)
    try:
        stitching.read(folder, checked(folder, read(folder)).num_kp)
    except ModelError as exc:
        return [(loc, str(exc))]
    return []
