"""Every spec kind. With several kinds, `Spec` is a union tagged by `kind`."""

from __future__ import annotations

from pydantic import BaseModel

from dhcore.spec.dance import DanceSpec

Spec = DanceSpec
KINDS: dict[str, type[BaseModel]] = {"dance_video": DanceSpec}
TAGGED = False  # pydantic prefixes error locations with the kind only for a tagged union


def root_model(loc: tuple[str | int, ...]) -> tuple[type[BaseModel] | None, int]:
    """The spec model an error location starts in, and how many loc elements name it."""
    if TAGGED:
        return (KINDS.get(str(loc[0])), 1) if loc else (None, 0)
    return next(iter(KINDS.values())), 0


def model_for_kind(kind: object) -> type[BaseModel] | None:
    return KINDS.get(str(kind))
