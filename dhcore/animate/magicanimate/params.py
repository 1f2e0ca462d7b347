"""MagicAnimate's params: importable without torch, so validating a spec never loads it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from dhcore.animate.magicanimate.config import MOTION, RELEASE
from dhcore.stage import StageParams


class MagicAnimateParams(StageParams):
    model: str = Field("magicanimate", description="registry id of the MagicAnimate download")
    sd15: str = Field("stable_diffusion_v1_5", description="registry id of Stable Diffusion 1.5 (unet, text)")
    vae: str = Field("sd_vae_ft_mse", description="registry id of the VAE (diffusers folder)")
    steps: int = Field(RELEASE.steps, ge=1, le=1000, description="DDIM steps")
    guidance_scale: float = Field(
        RELEASE.guidance_scale, ge=0.0, le=50.0, description="classifier-free guidance; <= 1 turns it off"
    )
    window: int = Field(
        RELEASE.window,
        ge=1,
        le=MOTION.max_len,
        description="frames per context window (motion modules: <= 24)",
    )
    overlap: int = Field(
        RELEASE.overlap, ge=0, description="frames shared by neighbouring windows (averaged)"
    )
    closed_loop: bool = Field(
        False, description="wrap the last window around to the first frames, as the release does"
    )
    noise: Literal["tiled", "per_frame"] = Field(
        "tiled", description="tiled: the release's one 16-frame draw repeated; per_frame: seeded per frame"
    )
    release_nocfg_mask: bool = Field(
        False,
        description="without guidance, skip the reference for the first half of each window's frames, as "
        "the release does (by accident); off: every frame reads the reference",
    )
    decode_chunk: int = Field(4, ge=1, le=256, description="frames decoded by the VAE at once")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        "auto", description="auto: bfloat16 on CUDA (float16 without bf16 support), float32 on CPU"
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"

    @model_validator(mode="after")
    def _overlap_below_window(self) -> MagicAnimateParams:
        if self.overlap >= self.window:
            raise ValueError(f"overlap ({self.overlap}) must be smaller than window ({self.window})")
        return self
