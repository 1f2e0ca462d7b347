"""MuseTalk v1.5's three components from a local folder in the release's `models/` layout.

The UNet is diffusers' UNet2DConditionModel built from the release's `musetalk.json` and filled from
`unet.pth` (a plain state dict, read weights-only, its keys checked first); the VAE is sd-vae-ft-mse
through diffusers (which also maps that release's older attention names); the audio encoder is the
encoder of transformers' WhisperModel (whisper-tiny) built from its config. Nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dhcore.errors import ModelError

UNET_CONFIG = "musetalkV15/musetalk.json"
UNET_WEIGHTS = "musetalkV15/unet.pth"
VAE_DIR = "sd-vae"
WHISPER_DIR = "whisper"
#: the files the registry checks (the release's names; sd-vae and whisper as their hubs ship them)
FILES = (UNET_CONFIG, UNET_WEIGHTS, f"{VAE_DIR}/config.json", f"{VAE_DIR}/diffusion_pytorch_model.bin",
         f"{WHISPER_DIR}/config.json", f"{WHISPER_DIR}/pytorch_model.bin")  # fmt: skip

#: the release's musetalkV15/musetalk.json: Stable Diffusion v1.4's UNet with 8 input channels
#: (masked + reference latents) and 384-wide cross-attention (whisper-tiny's hidden size)
RELEASE_UNET: dict[str, Any] = {
    "act_fn": "silu", "attention_head_dim": 8, "block_out_channels": [320, 640, 1280, 1280],
    "center_input_sample": False, "cross_attention_dim": 384,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "downsample_padding": 1, "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": 8, "layers_per_block": 2,
    "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4, "sample_size": 64,
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
}  # fmt: skip


@dataclass
class MuseTalk:
    unet: Any  # diffusers UNet2DConditionModel
    vae: Any  # diffusers AutoencoderKL
    whisper: Any  # transformers WhisperEncoder


def build_unet(config: dict[str, Any]) -> Any:
    from diffusers import UNet2DConditionModel

    known = {k: v for k, v in config.items() if not k.startswith("_")}
    try:
        return UNet2DConditionModel.from_config(known)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"not a MuseTalk UNet config ({exc})") from None


def load_unet(folder: Path) -> Any:
    """The UNet of `folder`, its checkpoint checked key by key against the config's model."""
    import torch

    from dhcore.models.state_dict import check_keys, read_json, read_state_dict

    config = read_json(folder / UNET_CONFIG)
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in build_unet(config).state_dict().items()}
    state = read_state_dict(folder / UNET_WEIGHTS)
    check_keys(expected, state, str(folder / UNET_WEIGHTS))
    unet = build_unet(config)
    unet.load_state_dict(state, strict=True)
    return unet


def load_whisper(folder: Path) -> Any:
    """Whisper's encoder; the checkpoint may be a WhisperModel's or a WhisperForConditionalGeneration's."""
    from transformers import WhisperConfig, WhisperModel

    from dhcore.models.state_dict import check_keys, read_json, read_state_dict

    path = folder / WHISPER_DIR / "pytorch_model.bin"
    encoder = WhisperModel(WhisperConfig(**read_json(folder / WHISPER_DIR / "config.json"))).encoder
    state = {k.removeprefix("model.").removeprefix("encoder."): v for k, v in read_state_dict(path).items()
             if k.removeprefix("model.").startswith("encoder.")}  # fmt: skip
    check_keys({k: tuple(v.shape) for k, v in encoder.state_dict().items()}, state, str(path))
    encoder.load_state_dict(state, strict=True)
    return encoder


def load(folder: Path, device: str = "cpu") -> MuseTalk:
    from diffusers import AutoencoderKL

    folder = Path(folder)
    try:
        vae = AutoencoderKL.from_pretrained(folder / VAE_DIR, local_files_only=True)
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelError(f"{folder / VAE_DIR}: not a loadable sd-vae-ft-mse folder ({exc})") from None
    model = MuseTalk(load_unet(folder), vae, load_whisper(folder))
    for part in (model.unet, model.vae, model.whisper):
        part.to(device).eval()
    return model
