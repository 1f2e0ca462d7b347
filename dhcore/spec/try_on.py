"""The `try_on` spec: a person photo + a garment's product photo -> the person wearing the garment."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from dhcore.face.params import FaceParams
from dhcore.spec.common import LICENCE_FIELD, FileRef, Licence, SpecModel
from dhcore.spec.dance import Animate, DanceSpec, Motion, OutputSpec, PoseSpec, SubjectSpec, WarpAnimate
from dhcore.spec.quality import QualitySpec

Category = Literal["top", "bottom", "dress", "outerwear"]
#: what each try-on backend can dress a person in
BACKEND_CATEGORIES: dict[str, tuple[str, ...]] = {
    "warp": ("top", "bottom"),
    "fashn_vton": ("top", "bottom", "dress"),
}


class PersonSpec(SpecModel):
    image: Path = Field(description="photo of the person to dress (both shoulders visible)")
    person: int | None = Field(
        None,
        ge=0,
        description="which person, counted left to right from 0 (default: the largest, most central)",
    )


class GarmentSpec(SpecModel):
    image: Path = Field(
        description="product photo: the garment laid flat on a plain background, or worn by someone"
    )
    category: Category = Field(description="what the garment is; the backend must be able to dress it")


def _min(default: float | None, what: str, most: float = 1.0) -> Any:
    return Field(default, ge=0, le=most, description=f"lowest acceptable {what}; null: not checked")


def _max(default: float | None, what: str, most: float = 1.0) -> Any:
    return Field(default, ge=0, le=most, description=f"highest acceptable {what}; null: not checked")


#: the figures judged against a ceiling (the rest against a minimum)
CEILINGS = ("face_distance", "collar_offset", "garment_outside", "garment_upscale", "seam_new_edges")


class TryOnQualitySpec(SpecModel):
    """The figures a try-on must reach: below them it ends needs_review (or failed)."""

    enforce: Literal["review", "fail"] = Field(
        "review", description="below a threshold: review -> status needs_review; fail -> status failed"
    )
    garment_colour: float | None = _min(0.5, "hue/saturation histogram similarity, worn vs product garment")
    garment_ssim: float | None = _min(0.6, "SSIM of the worn garment vs the warped, unshaded product")
    silhouette_iou: float | None = _min(0.85, "overlap of the person's outline before and after")
    background_psnr: float | None = _min(40.0, "PSNR (dB) outside the edited region", most=100.0)
    shoulder_cover: float | None = _min(0.7, "share of the strips on both shoulders the garment covers")
    torso_cover: float | None = _min(0.8, "share of the torso (shoulders to hips) the garment covers")
    legs_cover: float | None = _min(0.8, "share of the legs (hips to ankles) a bottom covers")
    shading_agreement: float | None = _min(
        0.6, "correlation of the garment's folds and light with the person's own (0: a flat cut-out)"
    )
    face_distance: float | None = _max(0.3, "identity distance (dlib) of the face before/after", most=2.0)
    collar_offset: float | None = _max(0.2, "drop of the collar below the shoulder line, in shoulder widths")
    garment_outside: float | None = _max(0.1, "share of the garment off the torso and arms")
    garment_upscale: float | None = _max(2.0, "enlargement of the product photo's garment (blur)", most=100.0)
    seam_new_edges: float | None = _max(0.8, "share of the garment's border with edges the photo had not")

    def thresholds(self) -> dict[str, float]:
        """Metric name -> lowest acceptable value."""
        dumped = self.model_dump(exclude={"enforce", *CEILINGS})
        return {k: v for k, v in dumped.items() if v is not None}

    def ceilings(self) -> dict[str, float]:
        """Metric name -> highest acceptable value."""
        return {k: v for k in CEILINGS if (v := getattr(self, k)) is not None}


class ThenDance(SpecModel):
    """The dressed person animated through the dance line: a dance_video spec's blocks, less its
    subject (the try-on's result is the subject)."""

    motion: Motion
    pose: PoseSpec = PoseSpec()
    animate: Animate = WarpAnimate()
    face: FaceParams = Field(FaceParams(), description="identity check, restoration and identity refinement")
    output: OutputSpec = OutputSpec()
    quality: QualitySpec = Field(
        QualitySpec(), description="figures the video must reach: below them it ends needs_review (or failed)"
    )

    @model_validator(mode="before")
    @classmethod
    def _warp_is_the_default_backend(cls, data: Any) -> Any:
        animate = data.get("animate") if isinstance(data, dict) else None
        if isinstance(animate, dict) and "backend" not in animate:
            data = {**data, "animate": {**animate, "backend": "warp"}}
        return data

    @model_validator(mode="after")
    def _a_valid_dance(self) -> ThenDance:
        self.dance_spec(Path("person.png"), None)  # the dance spec's own cross-field checks
        return self

    def dance_spec(self, subject: Path, name: str | None) -> DanceSpec:
        blocks = {k: getattr(self, k) for k in self.model_fields_set | {"motion"}}
        return DanceSpec(
            version=1, kind="dance_video", name=name, subject=SubjectSpec(image=subject), **blocks
        )


class Then(SpecModel):
    dance: ThenDance = Field(description="animate the dressed person (the dance_video line, its gates too)")


class TryOnSpec(SpecModel):
    version: Literal[1]
    kind: Literal["try_on"]
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    person: PersonSpec
    garment: GarmentSpec
    backend: Literal["warp", "fashn_vton"] = Field(
        "warp",
        description="warp: the embedded CPU backend (tops, bottoms); fashn_vton: FASHN VTON v1.5 from local "
        "weights (tops, bottoms, dresses; GPU unless backend_params.device is cpu)",
    )
    backend_params: dict[str, Any] = Field(default_factory=dict, description="the backend's own params")
    licence: Licence = LICENCE_FIELD
    quality: TryOnQualitySpec = Field(
        TryOnQualitySpec(),
        description="figures the result must reach: below them it ends needs_review (or failed)",
    )
    then: Then | None = Field(None, description="what follows the try-on in the same production")

    @staticmethod
    def file_refs(data: dict[str, Any]) -> list[FileRef]:
        refs = []
        for section in ("person", "garment"):
            block = data.get(section)
            if isinstance(block, dict) and isinstance(block.get("image"), str):
                refs.append(FileRef(loc=(section, "image"), path=Path(block["image"]), kind="image"))
        then = data.get("then")
        dance = then.get("dance") if isinstance(then, dict) else None
        if isinstance(dance, dict):
            refs += [
                FileRef(loc=("then", "dance", *r.loc), path=r.path, kind=r.kind)
                for r in DanceSpec.file_refs(dance)
            ]
        return refs
