"""Params of the photo-shoot backends: torch-free, so a spec validates and the stage declarations
import without loading torch (the backends themselves live in dhcore.shoot.backends)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from dhcore.stage import StageParams

SchedulerName = Literal["dpmpp_2m", "ddim", "euler", "euler_a"]
DeviceName = Literal["auto", "cpu", "cuda"]
DtypeName = Literal["auto", "float32", "float16", "bfloat16"]


class TemplateSwapParams(StageParams):
    face_backend: Literal["dlib", "insightface"] = Field(
        "dlib", description="finds faces and landmarks (use the spec's identity.face_backend)"
    )
    identity_face: int | None = Field(
        None,
        ge=0,
        description="in group identity photos: the face used, left to right from 0 (the spec's identity.face)",
    )
    source: Literal["seeded", "first"] = Field(
        "seeded", description="identity photo used: drawn by the seed, or always the first one given"
    )
    reference_shape: float = Field(
        0.6, ge=0, le=1, description="landmark_swap: 0 keeps the template's face shape, 1 the identity's"
    )
    shape_jitter: float = Field(0.15, ge=0, le=0.5, description="seeded variation of reference_shape (+-)")
    zoom_jitter: float = Field(0.12, ge=0, le=0.5, description="seeded extra zoom towards the face (0..this)")
    shift_jitter: float = Field(
        0.03, ge=0, le=0.2, description="seeded framing shift (+- share of the frame)"
    )
    blend: Literal["multiband", "seamless", "feather"] = Field(
        "multiband",
        description="multiband (Laplacian pyramid), Poisson seamless cloning or a feathered alpha",
    )
    forehead: float = Field(
        0.15, ge=0, le=0.3, description="how far above the brows the new face reaches (x chin-brow distance)"
    )
    detail: float = Field(0.6, ge=0, le=2, description="classical restorer: detail recovery")
    color_match: float = Field(0.5, ge=0, le=1, description="face colours pulled towards the template's face")
    missing_face: Literal["error", "keep"] = Field(
        "error",
        description="a template without a face: an error, or kept unchanged (identity transfer after a "
        "diffusion backend, where a faceless portrait should just fail its identity check)",
    )


class DiffusionParams(StageParams):
    """Sampling settings common to the diffusion backends (defaults are overridden per backend)."""

    steps: int = Field(25, ge=1, le=200, description="denoising steps")
    guidance_scale: float = Field(
        3.0, ge=0.0, le=30.0, description="classifier-free guidance; <= 1 disables it"
    )
    scheduler: SchedulerName = Field(
        "dpmpp_2m", description="sampler, built from the model's scheduler config"
    )
    device: DeviceName = Field("auto", description="auto = cuda when available, else cpu")
    dtype: DtypeName = Field("auto", description="auto = float16 on cuda, float32 on cpu")

    @model_validator(mode="after")
    def _half_needs_cuda(self) -> DiffusionParams:
        if self.device == "cpu" and self.dtype in ("float16", "bfloat16"):
            raise ValueError(f"dtype {self.dtype} runs on cuda only; use float32 (or auto) on cpu")
        return self


class Arc2FaceParams(DiffusionParams):
    """Defaults follow the public Arc2Face demo: DPM-Solver++ 25 steps, guidance 3."""

    steps: int = Field(25, ge=1, le=200)
    guidance_scale: float = Field(3.0, ge=0.0, le=30.0)
    scheduler: SchedulerName = "dpmpp_2m"
    strength: float = Field(
        0.8, gt=0.0, le=1.0, description="template looks: how far from the template (1 = ignore it)"
    )


class CosmicManParams(DiffusionParams):
    steps: int = Field(30, ge=1, le=200)
    guidance_scale: float = Field(7.5, ge=0.0, le=30.0)
    scheduler: SchedulerName = "euler_a"
