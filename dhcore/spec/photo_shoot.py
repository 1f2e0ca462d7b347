"""The `photo_shoot` spec: a few photos of one identity -> new portraits that keep it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BeforeValidator, ConfigDict, Field, create_model, field_validator, model_validator

from dhcore.shoot.registry import ENTRIES as SHOOT_BACKENDS
from dhcore.spec.common import LICENCE_FIELD, FileRef, Licence, SpecModel, nearest_multiples
from dhcore.stage import StageParams


class IdentitySpec(SpecModel):
    photos: list[Path] = Field(min_length=1, max_length=32, description="1-N photos of the same person")
    face_backend: Literal["dlib", "insightface"] = Field(
        "dlib", description="face detector/embedder used for the identity and for scoring"
    )
    face: int | None = Field(
        None, ge=0, description="in group photos: which face is the identity, counted left to right from 0"
    )


class LookSpec(SpecModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    template: Path | None = Field(None, description="template photo whose face gets the identity")
    prompt: str | None = Field(
        None, min_length=1, max_length=1000, description="text prompt (diffusion backends)"
    )
    negative_prompt: str | None = None
    count: int = Field(2, ge=1, le=64)
    seed: int | None = Field(None, ge=0, description="default: the shoot's seed + the look's index")

    @model_validator(mode="after")
    def _template_xor_prompt(self) -> LookSpec:
        if (self.template is None) == (self.prompt is None):
            raise ValueError("a look has exactly one of `template` or `prompt`")
        return self


class SelectionSpec(SpecModel):
    threshold: float | None = Field(None, gt=0, description="identity threshold; default: the face backend's")
    top_k: int | None = Field(
        None, ge=1, description="deliver at most this many (best first); default: all passing"
    )
    retries: int = Field(
        2, ge=0, le=10, description="extra rounds with new seeds for looks with too few passing"
    )
    require: int | None = Field(None, ge=1, description="fail the production if fewer images pass")


class MusicSpec(SpecModel):
    source: Literal["file", "none"] = "none"
    path: Path | None = None

    @model_validator(mode="after")
    def _path_matches_source(self) -> MusicSpec:
        if (self.source == "file") != (self.path is not None):
            raise ValueError("music needs `path` exactly when source is 'file'")
        return self


class VideoPortraitSpec(SpecModel):
    enabled: bool = True
    seconds_per_image: float = Field(2.0, gt=0.2, le=30)
    crossfade: float = Field(0.5, ge=0, le=5, description="crossfade seconds between images")
    motion: Literal["ken_burns", "none"] = Field("ken_burns", description="slow pans and zooms")
    fps: int = Field(24, ge=1, le=60)
    music: MusicSpec = MusicSpec()
    duration: float | None = Field(None, gt=0, le=600, description="total seconds; images loop to fill it")


class OutputsSpec(SpecModel):
    width: int = Field(512, ge=64, le=4096)
    height: int = Field(512, ge=64, le=4096)
    format: Literal["png", "jpg"] = "png"
    contact_sheet: bool = True
    video: VideoPortraitSpec = VideoPortraitSpec()


class PhotoShootSpec(SpecModel):
    """What every photo shoot has; `PhotoShoot` (below) is the spec: one subclass per backend with
    `backend_params` typed by that backend's Params, chosen by `backend`."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    kind: Literal["photo_shoot"]
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    identity: IdentitySpec
    looks: list[LookSpec] = Field(min_length=1, max_length=64)
    backend: str
    backend_params: StageParams
    seed: int = Field(0, ge=0)
    selection: SelectionSpec = SelectionSpec()
    outputs: OutputsSpec = OutputsSpec()
    licence: Licence = LICENCE_FIELD

    @field_validator("looks")
    @classmethod
    def _unique_names(cls, looks: list[LookSpec]) -> list[LookSpec]:
        names = [look.name for look in looks]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"look names must be unique: {', '.join(dup)}")
        return looks

    @model_validator(mode="after")
    def _backend_can_do_looks(self) -> PhotoShootSpec:
        if self.backend != "template_swap" and (self.outputs.width % 8 or self.outputs.height % 8):
            w, h = self.outputs.width, self.outputs.height
            raise ValueError(
                f"diffusion backends need sizes that are multiples of 8: width {nearest_multiples(w, 8)}, "
                f"height {nearest_multiples(h, 8)}"
            )
        return self

    def backend_call_params(self) -> dict[str, Any]:
        """The params the backend is called with: those the spec sets (template_swap finds faces with
        the identity's face backend unless told otherwise)."""
        params = self.backend_params.model_dump(exclude_unset=True)
        if self.backend == "template_swap":
            params = {"face_backend": self.identity.face_backend, **params}
            if self.identity.face is not None:
                params = {"identity_face": self.identity.face, **params}
        return params

    @staticmethod
    def file_refs(data: dict[str, Any]) -> list[FileRef]:
        refs: list[FileRef] = []
        identity = data.get("identity") if isinstance(data.get("identity"), dict) else {}
        photos = identity.get("photos")
        for i, photo in enumerate(photos if isinstance(photos, list) else []):
            if isinstance(photo, str):
                refs.append(FileRef(loc=("identity", "photos", i), path=Path(photo), kind="image"))
        looks = data.get("looks")
        for i, look in enumerate(looks if isinstance(looks, list) else []):
            if isinstance(look, dict) and isinstance(look.get("template"), str):
                refs.append(FileRef(loc=("looks", i, "template"), path=Path(look["template"]), kind="image"))
        outputs = data.get("outputs") if isinstance(data.get("outputs"), dict) else {}
        video = outputs.get("video") if isinstance(outputs.get("video"), dict) else {}
        music = video.get("music") if isinstance(video.get("music"), dict) else {}
        if isinstance(music.get("path"), str):
            refs.append(
                FileRef(loc=("outputs", "video", "music", "path"), path=Path(music["path"]), kind="audio")
            )
        return refs


DEFAULT_BACKEND = "template_swap"


def _typed(entry: Any) -> type[PhotoShootSpec]:
    """PhotoShootSpec with `backend` fixed to one name and `backend_params` typed by its Params.
    Only the default backend may be left out (so an editor's oneOf matches exactly one)."""
    return create_model(  # type: ignore[no-any-return, call-overload]
        "".join(part.title() for part in entry.name.split("_")) + "PhotoShoot",
        __base__=PhotoShootSpec,
        backend=(Literal[entry.name], entry.name if entry.name == DEFAULT_BACKEND else ...),  # type: ignore[valid-type]
        backend_params=(
            entry.Params,
            Field(default_factory=entry.Params, description=f"the {entry.name} backend's params"),
        ),
    )


def _default_backend(data: Any) -> Any:
    if isinstance(data, dict) and "backend" not in data:
        return {**data, "backend": DEFAULT_BACKEND}
    return data


#: one spec model per registered backend (the torch-free table), so the JSON Schema lists every
#: backend's params and errors in them are located at their key
BACKEND_SPECS: dict[str, type[PhotoShootSpec]] = {name: _typed(e) for name, e in SHOOT_BACKENDS.items()}
PhotoShoot = Annotated[
    Union[tuple(BACKEND_SPECS.values())],  # type: ignore[valid-type]  # noqa: UP007
    Field(discriminator="backend"),
    BeforeValidator(_default_backend),
]
