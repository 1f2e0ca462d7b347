"""MimicMotion's params: importable without torch, so validating a spec never loads it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from dhcore.stage import StageParams


class IdentityEncoderParams(StageParams):
    """StableAnimator's identity path (dhcore.animate.mimicmotion.identity)."""

    encoder: Literal["stableanimator"] = "stableanimator"
    model: str = Field("stableanimator", description="registry id of StableAnimator's three .pth files")
    face_pack: str = Field("buffalo_l", description="registry id of the insightface pack (SCRFD + ArcFace)")


if TYPE_CHECKING:
    from dhcore.animate.mimicmotion.sampler import SamplerSettings


class MimicMotionParams(StageParams):
    model: str = Field("mimicmotion", description="registry id of MimicMotion_1-1.pth")
    base: str = Field("svd_xt_1_1", description="registry id of the SVD img2vid-xt-1-1 folder")
    steps: int = Field(25, ge=1, le=1000, description="Euler steps (Karras sigmas)")
    guidance_scale: float = Field(
        2.0,
        ge=0.0,
        le=50.0,
        description="guidance of the last frame; <= 1 turns guidance off (the cond branch alone, half the "
        "UNet work; the release crashes there instead)",
    )
    min_guidance_scale: float | None = Field(
        None, ge=0.0, le=50.0, description="guidance of the first frame, ramped linearly (default: constant)"
    )
    window: int = Field(
        72, ge=2, description="frames per window, the reference-pose frame included (the release: 72)"
    )
    overlap: int = Field(
        6,
        ge=1,
        description="frames neighbouring windows share, the reference-pose frame included (the release: 6)",
    )
    anchor: Literal["first_window", "all_windows"] = Field(
        "first_window",
        description="first_window: the reference-pose frame follows the first window (memory independent of "
        "the length); all_windows: it fuses every window as the release does (memory grows with the length)",
    )
    fps_id: int = Field(7, ge=1, le=60, description="SVD's fps conditioning (the release always passes 7)")
    motion_bucket_id: int = Field(127, ge=0, le=1023, description="SVD's motion conditioning")
    noise_aug_strength: float = Field(0.0, ge=0.0, le=1.0, description="noise added to the reference latent")
    decode_chunk: int = Field(8, ge=1, le=256, description="frames decoded together by the temporal VAE")
    identity: IdentityEncoderParams | None = Field(
        None,
        description="{encoder: stableanimator}: StableAnimator's identity tokens from the reference face, "
        "with its release in place of MimicMotion's",
    )
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        "auto", description="auto: bfloat16 on CUDA (float16 without bf16 support), float32 on CPU"
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"

    @model_validator(mode="after")
    def _consistent(self) -> MimicMotionParams:
        if self.overlap >= self.window:
            raise ValueError(f"overlap ({self.overlap}) must be smaller than window ({self.window})")
        if self.min_guidance_scale is not None and self.min_guidance_scale > self.guidance_scale:
            raise ValueError(
                f"min_guidance_scale ({self.min_guidance_scale}) must not exceed guidance_scale "
                f"({self.guidance_scale}): the guidance ramps up from the first frame to the last"
            )
        return self

    def model_ids(self) -> list[str]:
        """What a run loads (components.ModelIds.all()): StableAnimator's files replace MimicMotion's."""
        if self.identity is None:
            return [self.model, self.base]
        return [self.identity.model, self.base, self.identity.face_pack]

    def sampler(self) -> SamplerSettings:
        from dhcore.animate.mimicmotion.sampler import SamplerSettings  # torch: only when it runs

        low = self.guidance_scale if self.min_guidance_scale is None else self.min_guidance_scale
        return SamplerSettings(self.steps, low, self.guidance_scale, self.window, self.overlap, self.anchor)
