"""Load UniAnimate's three release files through the model registry, key-exact.

* `unianimate`: `unianimate_16f_32f_non_ema_223000.pth`, the UNet state dict (optionally
  under `state_dict`), no prefixes, strict;
* `sd21_512_ema_pruned`: SD2.1's checkpoint, of which only `first_stage_model.*` (the VAE) is read;
* `open_clip_vit_h_14`: open_clip's ViT-H-14 state dict (`module.` stripped, as open_clip does).
`.pth`/`.bin` files are read once with weights_only=True and kept as safetensors (shared
`checkpoints.load_weights`); from the SD2.1 safetensors only the VAE tensors are read.
Modules are built on the meta device and take the checkpoint tensors directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import AutoencoderKL
from safetensors import safe_open

from dhcore.animate.animate_anyone.checkpoints import load_into, load_weights
from dhcore.animate.unianimate.clip import OpenClip
from dhcore.animate.unianimate.config import Architecture
from dhcore.animate.unianimate.unet import UniAnimateUNet
from dhcore.animate.unianimate.vae import PREFIX, build_vae, vae_state
from dhcore.errors import ModelError
from dhcore.models import registry
from dhcore.models.state_dict import read_state_dict

UNET_FILE = "unianimate_16f_32f_non_ema_223000.pth"
SD21_FILE = "v2-1_512-ema-pruned.safetensors"
CLIP_FILE = "open_clip_pytorch_model.bin"


@dataclass(frozen=True)
class ModelIds:
    unet: str = "unianimate"
    sd21: str = "sd21_512_ema_pruned"
    clip: str = "open_clip_vit_h_14"

    def all(self) -> list[str]:
        return [self.unet, self.sd21, self.clip]


@dataclass
class Parts:
    unet: UniAnimateUNet
    vae: AutoencoderKL
    clip: OpenClip


def read_vae_checkpoint(path: Path) -> dict[str, torch.Tensor]:
    """The `first_stage_model.*` tensors of an SD2.1 checkpoint (safetensors: only those are read)."""
    path = Path(path)
    if path.suffix != ".safetensors":
        return read_state_dict(path)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            return {k: f.get_tensor(k) for k in f.keys() if k.startswith(PREFIX)}
    except Exception as exc:  # noqa: BLE001 - a corrupt or foreign file
        raise ModelError(f"{path}: cannot read weights ({type(exc).__name__}: {exc})") from None


def strip_module(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """open_clip's load_checkpoint: a DataParallel `module.` prefix is dropped."""
    if state and all(k.startswith("module.") for k in state):
        return {k.removeprefix("module."): v for k, v in state.items()}
    return state


def build_unet(arch: Architecture, state: dict[str, torch.Tensor], source: str) -> UniAnimateUNet:
    with torch.device("meta"):
        unet = UniAnimateUNet(arch.unet)
    load_into(unet, state, source)
    unet.zero_y = torch.zeros(unet.zero_y.shape)  # set from the text tower by `load`
    return unet.eval()


def build_clip(arch: Architecture, state: dict[str, torch.Tensor], source: str) -> OpenClip:
    with torch.device("meta"):
        clip = OpenClip(arch.clip)
    load_into(clip, strip_module(state), source)
    return clip.eval()


def load_vae(arch: Architecture, checkpoint: dict[str, torch.Tensor], source: str) -> AutoencoderKL:
    vae = build_vae(arch.vae)
    vae.load_state_dict(vae_state(arch.vae, checkpoint, source), strict=True)
    return vae.eval()


def load(arch: Architecture, ids: ModelIds, dtype: torch.dtype, root: Path | None = None) -> Parts:
    """Every module of a run, verified against the registry; `zero_y` computed once from CLIP's text tower."""
    for model_id in ids.all():
        registry.verify(model_id, root)
    unet_src = registry.model_dir(ids.unet, root) / UNET_FILE
    clip_src = registry.model_dir(ids.clip, root) / CLIP_FILE
    sd21_src = registry.model_dir(ids.sd21, root) / SD21_FILE
    unet = build_unet(arch, load_weights(ids.unet, UNET_FILE, root), str(unet_src))
    clip = build_clip(arch, load_weights(ids.clip, CLIP_FILE, root), str(clip_src))
    vae = load_vae(arch, read_vae_checkpoint(sd21_src), str(sd21_src))
    zero_y = clip.empty_prompt_context()
    if zero_y.shape[-1] != arch.unet.context_dim:
        raise ModelError(
            f"{clip_src}: text width {zero_y.shape[-1]} differs from the UNet context {arch.unet.context_dim}"
        )
    unet.zero_y = zero_y
    if dtype != torch.float32:
        unet, vae, clip = unet.to(dtype), vae.to(dtype), clip.to(dtype)
    return Parts(unet, vae, clip)
