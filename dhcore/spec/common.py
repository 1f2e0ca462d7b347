"""Building blocks shared by every spec kind."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SpecModel(BaseModel):
    """Strict: an unknown field is an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class AudioSpec(SpecModel):
    source: Literal["auto", "driving", "file", "none"] = Field(
        "auto",
        description="auto: the driving video's soundtrack when it has one, else silent; "
        "driving: the driving video's soundtrack; file: `path`; none: silent",
    )
    path: Path | None = Field(None, description="audio (or video) file when source is `file`")

    @model_validator(mode="after")
    def _path_matches_source(self) -> AudioSpec:
        if self.source == "file" and self.path is None:
            raise ValueError("audio.source is 'file' but no audio.path is given")
        if self.source != "file" and self.path is not None:
            raise ValueError(f"audio.path is only used with source 'file' (source is {self.source!r})")
        return self


def nearest_multiples(value: int, multiple: int) -> str:
    lo = max(multiple, value // multiple * multiple)
    hi = lo + multiple if lo <= value else lo
    return f"{lo} or {hi}" if lo != hi else str(lo)


class FileRef(SpecModel):
    """Not a spec field: a referenced file found while checking a spec."""

    loc: tuple[str | int, ...]
    path: Path
    kind: Literal["image", "video", "keypoints", "openpose_dir", "audio", "audio_or_video", "frames"]


Licence = Literal["any", "commercial"]
LICENCE_FIELD = Field(
    "any",
    description="'commercial': every model the production reads must be licensed for commercial use "
    "(research-only or non-commercial weights are a validation error)",
)
