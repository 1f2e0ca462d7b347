"""Params of the Animate Anyone family (animate_anyone, musepose, champ): torch-free, so a spec validates
and the stage declarations import without loading torch."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from dhcore.animate.animate_anyone.config import GUIDANCE_TYPES
from dhcore.models import ids
from dhcore.stage import StageParams

GuidanceType = Literal["depth", "normal", "semantic_map", "dwpose"]


class AnimateAnyoneParams(StageParams):
    model: str = Field(ids.MOORE_ANIMATE_ANYONE, description="registry id of the release checkpoints")
    unet_config: str = Field(ids.SD15_UNET_CONFIG, description="registry id of the SD1.5 unet/config.json")
    vae: str = Field(ids.SD_VAE_FT_MSE, description="registry id of the VAE (diffusers folder)")
    image_encoder: str = Field(ids.SD_IMAGE_VARIATIONS_ENCODER, description="registry id of the CLIP encoder")
    steps: int = Field(30, ge=1, le=1000, description="DDIM steps")
    guidance_scale: float = Field(
        3.5, ge=0.0, le=50.0, description="classifier-free guidance; <= 1 turns it off"
    )
    window: int = Field(
        24, ge=1, description="frames per context window (motion modules accept up to 32/128)"
    )
    overlap: int = Field(4, ge=0, description="frames shared by neighbouring windows (averaged)")
    closed_loop: bool = Field(
        False, description="wrap the last window around to the first frames, as the Moore/Champ scripts do"
    )
    window_batch: int = Field(
        1, ge=1, le=64, description="windows per denoiser call (GPU throughput vs memory)"
    )
    decode_chunk: int = Field(4, ge=1, le=256, description="frames decoded by the VAE at once")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        "auto", description="auto: bfloat16 on CUDA (float16 without bf16 support), float32 on CPU"
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"
    noise: Literal["per_frame", "reference"] = Field(
        "per_frame",
        description="per_frame: noise seeded per frame (length-independent); reference: the release "
        "scripts' single CPU draw for the whole video (memory grows with length)",
    )

    @model_validator(mode="after")
    def _overlap_below_window(self) -> AnimateAnyoneParams:
        if self.overlap >= self.window:
            raise ValueError(f"overlap ({self.overlap}) must be smaller than window ({self.window})")
        return self


class MusePoseParams(AnimateAnyoneParams):
    model: str = Field(ids.MUSEPOSE, description="registry id of the release checkpoints")
    steps: int = Field(20, ge=1, le=1000, description="DDIM steps")
    window: int = Field(48, ge=1, description="frames per context window (motion modules accept up to 128)")


class ChampParams(AnimateAnyoneParams):
    model: str = Field(ids.CHAMP, description="registry id of the release checkpoints")
    steps: int = Field(20, ge=1, le=1000, description="DDIM steps")
    guidance_types: tuple[GuidanceType, ...] = Field(
        GUIDANCE_TYPES,
        min_length=1,
        description="guidance encoders to sum; dwpose uses the skeleton, the others inputs.guidance[type]",
    )
