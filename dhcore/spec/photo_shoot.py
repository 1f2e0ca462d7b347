"""The `photo_shoot` spec: a few photos of one identity -> new portraits that keep it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from dhcore.spec.common import LICENCE_FIELD, FileRef, Licence, SpecModel, nearest_multiples


class IdentitySpec(SpecModel):
    photos: list[Path] = Field(min_length=1, max_length=32, description="1-N photos of the same person")
    face_backend: Literal["dlib", "insightface"] = Field(
        "dlib", description="face detector/embedder used for the identity and for scoring"
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


def _backend_params_schema(schema: dict[str, Any]) -> None:
    """Each backend's params in the JSON Schema (from the torch-free table), applied by `backend`."""
    from dhcore.shoot.registry import ENTRIES

    schema["allOf"] = [
        {
            "if": {"properties": {"backend": {"const": name}}, "required": ["backend"]},
            "then": {"properties": {"backend_params": entry.Params.model_json_schema()}},
        }
        for name, entry in ENTRIES.items()
    ]


class PhotoShootSpec(SpecModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_backend_params_schema)

    version: Literal[1]
    kind: Literal["photo_shoot"]
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    identity: IdentitySpec
    looks: list[LookSpec] = Field(min_length=1, max_length=64)
    backend: Literal["template_swap", "arc2face", "cosmicman"] = "template_swap"
    backend_params: dict[str, Any] = Field(
        default_factory=dict, description="the backend's own params (checked against its Params model)"
    )
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
