"""Every spec kind, as one union tagged by `kind`."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from dhcore.spec.dance import DanceSpec
from dhcore.spec.photo_shoot import PhotoShootSpec
from dhcore.spec.try_on import TryOnSpec

Spec = Annotated[DanceSpec | PhotoShootSpec | TryOnSpec, Field(discriminator="kind")]
KINDS: dict[str, type[BaseModel]] = {
    "dance_video": DanceSpec,
    "photo_shoot": PhotoShootSpec,
    "try_on": TryOnSpec,
}


def root_model(loc: tuple[str | int, ...]) -> tuple[type[BaseModel] | None, int]:
    """The spec model a pydantic error location starts in, and how many loc elements name it."""
    return (KINDS.get(str(loc[0])), 1) if loc else (None, 0)


def model_for_kind(kind: object) -> type[BaseModel] | None:
    return KINDS.get(str(kind))
