"""The `face_reenact` spec: a source face photo + a driving face video -> the source performing the
driver's expressions and head motion (relative motion, as LivePortrait's relative mode)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from dhcore.reenact.params import Params as Motion
from dhcore.spec.common import LICENCE_FIELD, FileRef, Licence, SpecModel


class FaceReenactQualitySpec(SpecModel):
    """The ceilings a reenactment must stay under: above them it ends needs_review (or failed)."""

    enforce: Literal["review", "fail"] = Field(
        "review", description="above a ceiling: review -> status needs_review; fail -> status failed"
    )
    motion_distance: float | None = Field(
        0.1,
        ge=0,
        le=2,
        description="highest landmark-motion distance to the driver (eye distances; AKD proxy)",
    )
    head_pose_distance: float | None = Field(
        3.0, ge=0, le=90, description="highest mean head-rotation difference to the driver (degrees)"
    )
    face_distance_max: float | None = Field(
        0.45, ge=0, le=2, description="highest identity distance (dlib) of any measured frame to the source"
    )
    face_found_rate: float | None = Field(
        0.9, ge=0, le=1, description="lowest share of output frames in which the face mesh finds the face"
    )

    def thresholds(self) -> dict[str, float]:
        return {} if self.face_found_rate is None else {"face_found_rate": self.face_found_rate}

    def ceilings(self) -> dict[str, float]:
        found = {
            "motion_distance": self.motion_distance, "head_pose_distance": self.head_pose_distance,
            "face_distance_max": self.face_distance_max,
        }  # fmt: skip
        return {k: v for k, v in found.items() if v is not None}


class FaceReenactSpec(SpecModel):
    version: Literal[1]
    kind: Literal["face_reenact"]
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    source: Path = Field(
        description="photo of the face to animate (one person, ~50 px or more between the eyes)"
    )
    driver: Path = Field(description="video of a face whose expressions and head motion are transferred")
    motion: Motion = Field(Motion(), description="expression and head-motion scales, landmark smoothing")
    audio: Literal["auto", "none"] = Field(
        "auto", description="auto: keep the driver's soundtrack when it has one"
    )
    backend: Literal["mesh", "liveportrait"] = Field(
        "mesh",
        description="mesh: the embedded CPU face-mesh warp; liveportrait: LivePortrait from local weights "
        "(GPU unless backend_params.device is cpu)",
    )
    backend_params: dict[str, Any] = Field(
        default_factory=dict, description="the backend's own params (liveportrait: model, device)"
    )
    licence: Licence = LICENCE_FIELD
    quality: FaceReenactQualitySpec = Field(
        FaceReenactQualitySpec(),
        description="figures the video must stay under: above them it ends needs_review",
    )

    @staticmethod
    def file_refs(data: dict[str, Any]) -> list[FileRef]:
        refs = []
        for key, kind in (("source", "image"), ("driver", "video")):
            if isinstance(data.get(key), str):
                refs.append(FileRef(loc=(key,), path=Path(data[key]), kind=kind))
        return refs
