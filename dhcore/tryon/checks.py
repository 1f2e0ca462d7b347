"""`dh validate` checks of a try-on spec: the same person choice, pose and garment cut the run makes."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from dhcore.errors import DhError
from dhcore.spec.try_on import BACKEND_CATEGORIES
from dhcore.tryon.backends import TRY_ON

Problems = list[tuple[tuple[str | int, ...], str]]


def category_problem(backend: str, category: str) -> str | None:
    can = BACKEND_CATEGORIES[backend]
    if category in can:
        return None
    return f"backend {backend!r} cannot dress a {category!r} (it can: {', '.join(can)})"


def person_problem(path: Path, person: int | None, category: str = "top") -> str | None:
    """Why this photo has no person to dress (no body, or the joints the garment needs not
    visible), or None."""
    from dhcore.pose import extract
    from dhcore.pose.keypoints import PoseSequence
    from dhcore.tryon.warp import person_body

    with tempfile.TemporaryDirectory(prefix="dh-tryon-check-") as tmp:
        try:
            result = extract.STAGE.call(Path(tmp), extract.Params(person=person), source=path)
            person_body(PoseSequence.load(result.outputs["pose"].path), str(path), category)
        except DhError as exc:
            return str(exc).removeprefix(f"{path}: ")
    return None


def garment_problem(path: Path, category: str = "top") -> str | None:
    from dhcore.pose.extract import read_image
    from dhcore.tryon.worn import cut_any
    from dhcore.tryon.worn import garment_problem as problem

    try:
        if category == "bottom":
            cut_any(read_image(path), str(path), category)
            return None
        return problem(read_image(path))
    except DhError as exc:
        return str(exc).removeprefix(f"{path}: ")


def spec_problems(loaded: Any) -> Problems:
    spec, files = loaded.spec, loaded.files
    problems: Problems = []
    if problem := category_problem(spec.backend, spec.garment.category):
        problems.append((("garment", "category"), problem))
    person = files.get(("person", "image"))
    category = spec.garment.category
    if person is not None and (problem := person_problem(person, spec.person.person, category)):
        problems.append((("person", "image"), f"{person}: {problem}"))
    garment = files.get(("garment", "image"))
    if garment is not None and (problem := garment_problem(garment, category)):
        problems.append((("garment", "image"), f"{garment}: {problem}"))
    if "category" in spec.backend_params:
        problems.append((("backend_params", "category"), "set garment.category instead"))
        return problems
    stage = TRY_ON[spec.backend].load()
    try:
        params = stage.Params(**spec.backend_params)
    except ValueError as exc:
        errors = getattr(exc, "errors", lambda: [])()
        return problems + [(("backend_params", *e["loc"]), str(e["msg"])) for e in errors]
    return problems + model_problems(spec.backend, params)


def model_problems(backend: str, params: Any) -> Problems:
    """A backend's weights not installed, or (FASHN VTON) a checkpoint whose tensors are not the
    layout its shapes imply: at `backend_params.model`, naming the file and the keys."""
    from dhcore.errors import ModelError
    from dhcore.models.registry import missing_problem, model_dir

    model = getattr(params, "model", None)
    if model is None:
        return []
    loc: tuple[str | int, ...] = (
        ("backend_params", "model") if "model" in params.model_fields_set else ("backend",)
    )
    if problem := missing_problem(model):
        return [(loc, problem)]
    if backend == "fashn_vton":
        from dhcore.tryon.fashn.weights import checked_config

        try:
            checked_config(model_dir(model))
        except ModelError as exc:
            return [(loc, str(exc))]
    return []
