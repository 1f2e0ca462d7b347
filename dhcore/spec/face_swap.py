"""The `face_swap` spec: an identity (1-N photos) + a target video -> the video with the identity's face."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from dhcore.face.params import TrackingParams
from dhcore.spec.common import LICENCE_FIELD, FileRef, Licence, SpecModel


class SwapIdentitySpec(SpecModel):
    photos: list[Path] = Field(
        min_length=1, max_length=16, description="photos of the person whose face is put in"
    )
    face: int | None = Field(
        None,
        ge=0,
        description="in group photos: which face, counted left to right from 0 (default: the only one)",
    )


class TargetSpec(SpecModel):
    video: Path = Field(description="the video whose person gets the identity's face; its audio is kept")
    face: int | None = Field(
        None, ge=0, description="who to replace: face N counted left to right in the first frame with faces"
    )
    reference: Path | None = Field(
        None, description="who to replace: a photo of that person (wins over face)"
    )


#: steadier than the face stages' default: on t1.jpg's near-profile face, landmark jitter 0.077 at
#: (2.0 Hz, 5.0) and 0.038 at (0.5 Hz, 2.0), identity and realism unchanged (benchmarks/face_swap.py)
SWAP_TRACKING = TrackingParams(smooth_min_cutoff=0.5, smooth_beta=2.0)


class SwapSettings(SpecModel):
    face_backend: Literal["dlib", "mediapipe"] = Field(
        "dlib", description="finds, follows and measures faces"
    )
    reference_shape: float = Field(
        0.5, ge=0, le=1, description="0: the target's face shape, 1: the identity's"
    )
    blend: Literal["multiband", "seamless", "feather"] = "multiband"
    shading: float = Field(
        0.3, ge=0, le=1, description="how much of the target's light falls on the new face"
    )
    threshold: float | None = Field(
        None, gt=0, le=2, description="same-person distance; default: the backend's"
    )
    tracking: TrackingParams = Field(
        SWAP_TRACKING, description="One-Euro smoothing of the followed face (lower min cutoff: steadier)"
    )


class FaceSwapQualitySpec(SpecModel):
    """The figures a face swap must reach: below (or above) them it ends needs_review (or failed)."""

    enforce: Literal["review", "fail"] = "review"
    swap_rate: float | None = Field(
        0.9, ge=0, le=1, description="lowest share of frames with the face replaced"
    )
    identity_match_rate: float | None = Field(
        0.9, ge=0, le=1, description="lowest share of swapped frames within the identity threshold"
    )
    realism_median: float | None = Field(0.4, ge=0, le=1, description="lowest median realism figure")
    jitter: float | None = Field(
        0.05, ge=0, description="highest landmark jitter (mean second difference, inter-ocular distances)"
    )

    def thresholds(self) -> dict[str, float]:
        return {k: v for k, v in self.model_dump(exclude={"enforce", "jitter"}).items() if v is not None}

    def ceilings(self) -> dict[str, float]:
        return {} if self.jitter is None else {"jitter": self.jitter}


class FaceSwapSpec(SpecModel):
    version: Literal[1]
    kind: Literal["face_swap"]
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    identity: SwapIdentitySpec
    target: TargetSpec
    backend: Literal["landmark_swap"] = Field(
        "landmark_swap", description="landmark_swap: the embedded swap engine (CPU; dhcore.face.swap)"
    )
    swap: SwapSettings = SwapSettings()
    licence: Licence = LICENCE_FIELD
    quality: FaceSwapQualitySpec = FaceSwapQualitySpec()

    @staticmethod
    def file_refs(data: dict[str, Any]) -> list[FileRef]:
        refs = []
        identity = data.get("identity") if isinstance(data.get("identity"), dict) else {}
        photos = identity.get("photos")
        if isinstance(photos, list):
            for i, photo in enumerate(photos):
                if isinstance(photo, str):
                    refs.append(FileRef(loc=("identity", "photos", i), path=Path(photo), kind="image"))
        target = data.get("target") if isinstance(data.get("target"), dict) else {}
        if isinstance(target.get("video"), str):
            refs.append(FileRef(loc=("target", "video"), path=Path(target["video"]), kind="video"))
        if isinstance(target.get("reference"), str):
            refs.append(FileRef(loc=("target", "reference"), path=Path(target["reference"]), kind="image"))
        return refs
