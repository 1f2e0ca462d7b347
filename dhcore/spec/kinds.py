"""Every spec kind, as one union tagged by `kind` (the photo shoot a union again, by `backend`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter

from dhcore.spec.dance import DanceSpec
from dhcore.spec.face_edit import FaceEditSpec
from dhcore.spec.face_reenact import FaceReenactSpec
from dhcore.spec.face_swap import FaceSwapSpec
from dhcore.spec.photo_shoot import BACKEND_SPECS, PhotoShoot, PhotoShootSpec
from dhcore.spec.talking_head import TalkingHeadSpec
from dhcore.spec.try_on import TryOnSpec

Spec = Annotated[
    DanceSpec | PhotoShoot | TryOnSpec | FaceSwapSpec | FaceEditSpec | TalkingHeadSpec | FaceReenactSpec,
    Field(discriminator="kind"),
]
SPEC_ADAPTER: TypeAdapter[Spec] = TypeAdapter(Spec)
#: each kind's base model (its file references); TYPES: what a spec of the kind validates as
KINDS: dict[str, type[BaseModel]] = {
    "dance_video": DanceSpec,
    "photo_shoot": PhotoShootSpec,
    "try_on": TryOnSpec,
    "face_swap": FaceSwapSpec,
    "face_edit": FaceEditSpec,
    "talking_head": TalkingHeadSpec,
    "face_reenact": FaceReenactSpec,
}
TYPES: dict[str, Any] = {**KINDS, "photo_shoot": PhotoShoot}
#: kinds whose model is chosen by a second tag, which pydantic puts after the kind in error locations
VARIANTS: dict[str, dict[str, type[BaseModel]]] = {"photo_shoot": dict(BACKEND_SPECS)}


def validate(data: Any) -> Any:
    """A spec of any kind (a photo shoot as its backend's PhotoShootSpec subclass) from its parsed YAML."""
    return SPEC_ADAPTER.validate_python(data)


def root_model(loc: tuple[str | int, ...]) -> tuple[type[BaseModel] | None, int]:
    """The spec model a pydantic error location starts in, and how many loc elements name it."""
    if not loc:
        return None, 0
    variants = VARIANTS.get(str(loc[0]), {})
    if len(loc) > 1 and str(loc[1]) in variants:
        return variants[str(loc[1])], 2
    return KINDS.get(str(loc[0])), 1


def model_for_kind(kind: object) -> type[BaseModel] | None:
    return KINDS.get(str(kind))
