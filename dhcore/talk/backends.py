"""Talking-head backends by name (dhcore.backends): `mesh` renders the face from the audio; a lip-sync
backend's row is the stage that then redraws the rendered mouth (`impl`: its declaration)."""

from __future__ import annotations

from typing import Any

from dhcore.backends import Backend, Table
from dhcore.models import ids

Problems = list[tuple[tuple[str | int, ...], str]]

TALKING_HEAD = Table(
    "talking-head",
    Backend("mesh", "dhcore.talk.render:STAGE"),
    Backend("musetalk", "dhcore.talk.musetalk.stage:STAGE", device="auto", model_ids=(ids.MUSETALK,)),
)


def backend_problems(backend: str, params: dict[str, Any]) -> Problems:
    """`backend_params` against the lip-sync backend's params; its weights not installed."""
    from pydantic import ValidationError

    from dhcore.models.registry import missing_problem

    if backend == "mesh":
        return [(("backend_params",), "the mesh backend takes no backend_params")] if params else []
    stage = TALKING_HEAD[backend].load()
    try:
        parsed = stage.Params(**params)
    except ValidationError as exc:
        return [(("backend_params", *e["loc"]), str(e["msg"])) for e in exc.errors()]
    loc: tuple[str | int, ...] = ("backend_params", "model") if "model" in params else ("backend",)
    return [(loc, p) for m in stage.model_ids(parsed) if (p := missing_problem(m))]
