"""UniAnimate's params: importable without torch, so validating a spec never loads it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from dhcore.stage import StageParams

#: the DDPM training steps of the release (scheduler.TRAIN_STEPS)
TRAIN_STEPS = 1000


class UniAnimateParams(StageParams):
    model: str = Field("unianimate", description="registry id of the UniAnimate UNet checkpoint")
    sd21: str = Field("sd21_512_ema_pruned", description="registry id of SD2.1 (its VAE is used)")
    clip: str = Field("open_clip_vit_h_14", description="registry id of OpenCLIP ViT-H-14")
    architecture: Literal["full", "tiny"] = Field(
        "full", description="full: the release; tiny: random test-size models (tests, CPU benchmarks)"
    )
    steps: int = Field(30, ge=1, le=500, description="the release's ddim_timesteps (30 runs 31 DDIM steps)")
    guidance_scale: float = Field(
        2.5, ge=0.0, le=50.0, description="classifier-free guidance; <= 1 turns it off"
    )
    window: int = Field(32, ge=2, le=64, description="frames per context window (trained on 16 and 32)")
    overlap: int = Field(8, ge=0, description="frames shared by neighbouring windows (averaged)")
    window_batch: int = Field(
        1, ge=1, le=64, description="windows per denoiser call (GPU throughput vs memory)"
    )
    decode_chunk: int = Field(2, ge=1, le=256, description="frames decoded by the VAE at once")
    noise_prior: int = Field(
        939, ge=0, le=998, description="timestep at which the reference latent is noised"
    )
    noise_strength: float = Field(0.1, ge=0.0, le=1.0, description="per-frame, per-channel offset noise")
    noise: Literal["per_frame", "reference"] = Field(
        "per_frame",
        description="per_frame: noise seeded per frame (length-independent, constant memory); reference: "
        "the release script's single CPU draw for the whole video",
    )
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        "auto", description="auto: bfloat16 on CUDA (float16 without bf16 support), float32 on CPU"
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"

    @field_validator("steps")
    @classmethod
    def _defined_schedule(cls, steps: int) -> int:
        stride = TRAIN_STEPS // steps
        if min(1 + (TRAIN_STEPS - 1) // stride * stride, TRAIN_STEPS - 1) == TRAIN_STEPS - 1:
            # zero terminal SNR: ᾱ = 0 at t = 999 makes the ε formula infinite (the release gives NaN)
            raise ValueError(
                f"{steps} steps start at t = 999, where the release's sampler is undefined; use another count"
            )
        return steps

    @model_validator(mode="after")
    def _overlap_below_window(self) -> UniAnimateParams:
        if self.overlap >= self.window:
            raise ValueError(f"overlap ({self.overlap}) must be smaller than window ({self.window})")
        return self
