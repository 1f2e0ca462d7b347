"""Wan-Animate's params: importable without torch, so validating a spec never loads it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from dhcore.animate.wan_animate.layout import WAN_ANIMATE_ID
from dhcore.stage import StageParams

#: Wan-Animate's own default prompt for animation ("the person in the video is moving")
DEFAULT_PROMPT = "视频中的人在做动作"


class WanAnimateParams(StageParams):
    model: str = Field(WAN_ANIMATE_ID, description="registry id of the Wan2.2-Animate-14B-Diffusers folder")
    steps: int = Field(20, ge=1, le=1000, description="UniPC steps per segment (the release: 20)")
    guidance_scale: float = Field(
        1.0,
        ge=1.0,
        le=20.0,
        description="classifier-free guidance on prompt and face; 1 turns it off (the release's default, "
        "half the transformer work)",
    )
    prompt: str = Field(DEFAULT_PROMPT, max_length=2000, description="text prompt (umT5)")
    negative_prompt: str = Field("", max_length=2000, description="read only when guidance_scale > 1")
    segment_frames: int = Field(
        77, ge=5, le=241, description="frames per segment, 4n+1 (the release: 77); memory grows with it"
    )
    prev_frames: Literal[1, 5] = Field(
        1, description="frames of the previous segment that condition the next (the pipeline allows 1 or 5)"
    )
    motion_batch: int | None = Field(
        None,
        ge=1,
        le=256,
        description="face frames through the motion encoder at once (default: the model's)",
    )
    mode: Literal["animate", "replace"] = Field(
        "animate",
        description="animate: the photo's character moves on the photo's background; replace: the character "
        "replaces the driver inside the driving video (needs pose.align.method none)",
    )
    mask_margin: float = Field(
        0.1, ge=0.0, le=1.0, description="replace: the driver's region grows by this fraction of its size"
    )
    face_scale: float = Field(
        1.5, ge=1.0, le=4.0, description="face crop side as a multiple of the landmarks' larger extent"
    )
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        "auto",
        description="transformer and encoders; auto: bfloat16 on CUDA, float32 on CPU (the VAE stays float32)",
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"

    @field_validator("segment_frames")
    @classmethod
    def _four_n_plus_one(cls, value: int) -> int:
        if value % 4 != 1:
            low = value - (value - 1) % 4
            raise ValueError(
                f"{value} is not 4n+1 (the Wan VAE packs 4 frames per latent after the first); use {low} or {low + 4}"
            )
        return value

    @model_validator(mode="after")
    def _segment_longer_than_overlap(self) -> WanAnimateParams:
        if self.prev_frames >= self.segment_frames - 4:
            raise ValueError(
                f"prev_frames ({self.prev_frames}) leaves no new frames in segments of {self.segment_frames}"
            )
        return self

    def model_ids(self) -> list[str]:
        return [self.model]
