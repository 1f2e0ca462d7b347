"""The `face_edit` spec: a portrait photo + expression, gaze and lip-colour edits -> the edited photo
(and, with keyframes, a video easing between them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from dhcore.facemesh.edits import Edits, Keyframe
from dhcore.spec.common import LICENCE_FIELD, FileRef, Licence, SpecModel


def _floor(default: float | None, what: str, most: float = 1.0) -> Any:
    return Field(default, ge=0, le=most, description=f"lowest acceptable {what}; null: not checked")


class FaceEditQualitySpec(SpecModel):
    """The figures an edit must reach: below them (or above a ceiling) it ends needs_review (or failed)."""

    enforce: Literal["review", "fail"] = Field(
        "review", description="below a threshold: review -> status needs_review; fail -> status failed"
    )
    edit_achieved: float | None = _floor(
        0.4, "share of the asked landmark displacement found in the result", 2
    )
    face_distance: float | None = Field(
        0.45, ge=0, le=2, description="highest acceptable identity distance (dlib), photo vs result"
    )

    def thresholds(self) -> dict[str, float]:
        return {} if self.edit_achieved is None else {"edit_achieved": self.edit_achieved}

    def ceilings(self) -> dict[str, float]:
        return {} if self.face_distance is None else {"face_distance": self.face_distance}


class FaceEditSpec(SpecModel):
    version: Literal[1]
    kind: Literal["face_edit"]
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    photo: Path | None = Field(
        None, description="portrait photo of one person (~50 px or more between the eyes)"
    )
    video: Path | None = Field(None, description="or a video of one person: every frame gets the `edits`")
    edits: Edits = Field(Edits(), description="the edited still's settings")
    keyframes: list[Keyframe] | None = Field(
        None, min_length=2, description="with two or more: also a video easing from one keyframe to the next"
    )
    fps: int = Field(25, ge=1, le=60, description="frame rate of the keyframed video")
    backend: Literal["mesh"] = Field("mesh", description="mesh: the embedded CPU face-mesh warp")
    licence: Licence = LICENCE_FIELD
    quality: FaceEditQualitySpec = Field(
        FaceEditQualitySpec(), description="figures the still must reach: below them it ends needs_review"
    )

    @model_validator(mode="after")
    def _something_to_do(self) -> FaceEditSpec:
        if (self.photo is None) == (self.video is None):
            raise ValueError("give exactly one of photo and video")
        if self.video is not None and self.keyframes:
            raise ValueError("keyframes animate a photo; a video takes one `edits` for every frame")
        if self.video is not None and not self.edits.moves() and not self.edits.lip_colour:
            raise ValueError("nothing to edit: set at least one of `edits`")
        if self.keyframes:
            times = [k.at for k in self.keyframes]
            if any(b <= a for a, b in zip(times, times[1:], strict=False)):
                raise ValueError(f"keyframes must be in increasing time order (at: {times})")
        elif not self.edits.moves() and not self.edits.lip_colour:
            raise ValueError("nothing to edit: set at least one of `edits` (or give keyframes)")
        return self

    @staticmethod
    def file_refs(data: dict[str, Any]) -> list[FileRef]:
        refs = []
        for key, kind in (("photo", "image"), ("video", "video")):
            if isinstance(data.get(key), str):
                refs.append(FileRef(loc=(key,), path=Path(data[key]), kind=kind))
        return refs
