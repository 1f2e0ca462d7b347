"""MagicAnimate's release settings: file layout, sampler defaults, DDIM arguments, prompt ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dhcore.animate.animate_anyone.config import MotionConfig

#: the release's AnimateDiff modules: 8 heads, sinusoid tables of 24 rows (the longest window)
MOTION = MotionConfig(heads=8, max_len=24, groups=32)
#: reference attention only in these blocks (`fusion_blocks: midup`)
FUSION_ROOTS = ("mid_block.", "up_blocks.")
#: CLIP ids of the empty prompt (BOS, then EOS as padding to 77): the release always prompts ""
EMPTY_PROMPT_IDS = (49406,) + (49407,) * 76

# files of the `magicanimate` model (the MagicAnimate download) and of Stable Diffusion 1.5
APPEARANCE_DIR = "appearance_encoder"
CONTROLNET_DIR = "densepose_controlnet"
CONFIG = "config.json"
WEIGHTS = "diffusion_pytorch_model.safetensors"
MOTION_FILE = "temporal_attention/temporal_attention.ckpt"
SD_UNET_CONFIG = "unet/config.json"
SD_UNET_WEIGHTS = "unet/diffusion_pytorch_model.safetensors"
SD_TEXT_CONFIG = "text_encoder/config.json"
SD_TEXT_WEIGHTS = "text_encoder/model.safetensors"


@dataclass(frozen=True)
class MagicAnimateRelease:
    """Settings of `configs/prompts/animation.yaml` and `configs/inference/inference.yaml`."""

    name: str = "magicanimate"
    model_id: str = "magicanimate"
    window: int = 16
    overlap: int = 4
    steps: int = 25
    guidance_scale: float = 7.5

    def scheduler_kwargs(self) -> dict[str, Any]:
        """DDIMScheduler as the pipeline leaves it: epsilon, linear betas, leading spacing."""
        return {
            "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "linear", "clip_sample": False,
            "steps_offset": 1, "prediction_type": "epsilon", "timestep_spacing": "leading",
            "set_alpha_to_one": True,
        }  # fmt: skip


RELEASE = MagicAnimateRelease()

#: how far the DensePose video's aspect ratio may be from the output's before it is refused
ASPECT_TOLERANCE = 0.02


def densepose_size_problem(width: int, height: int, out_width: int, out_height: int) -> str | None:
    """DensePose frames are resized to the output size: refuse a different shape (no crop guess)."""
    if abs(width / height - out_width / out_height) <= ASPECT_TOLERANCE * out_width / out_height:
        return None
    return (
        f"the DensePose video is {width}x{height}, which does not have the output's aspect ratio "
        f"({out_width}x{out_height}); crop it or change animate.width/height"
    )
