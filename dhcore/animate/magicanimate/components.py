"""Build every MagicAnimate module and load it, key for key, from the registered model folders.

Modules are built on the `meta` device and take the checkpoint tensors directly, as the Animate
Anyone family's loader does. The UNet3D takes the SD1.5 UNet file for its 2-D keys and
`temporal_attention.ckpt` for its motion keys (a leading `module.` or `unet.` on its keys, which
the release's loader strips, is accepted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import AutoencoderKL, ControlNetModel
from torch import nn
from transformers import CLIPTextConfig, CLIPTextModel

from dhcore.animate.animate_anyone.checkpoints import load_into, load_weights
from dhcore.animate.animate_anyone.components import cast, check_installed, load_vae
from dhcore.animate.animate_anyone.config import UNetConfig
from dhcore.animate.magicanimate import config as C
from dhcore.animate.magicanimate.appearance_encoder import AppearanceEncoder, build_appearance_unet
from dhcore.animate.magicanimate.unet3d import MagicUNet3D, motion_keys
from dhcore.errors import ModelError
from dhcore.models import registry
from dhcore.models.state_dict import check_keys, read_json

State = Mapping[str, torch.Tensor]
#: a buffer older transformers saved with the text encoder; always arange(77)
TEXT_POSITION_IDS = "text_model.embeddings.position_ids"
TEXT_PREFIX = "text_model."


@dataclass(frozen=True)
class ModelIds:
    """Registry ids of everything one run loads."""

    magicanimate: str = "magicanimate"
    sd15: str = "stable_diffusion_v1_5"
    vae: str = "sd_vae_ft_mse"

    def all(self) -> list[str]:
        return [self.magicanimate, self.sd15, self.vae]


@dataclass
class Components:
    unet: MagicUNet3D
    appearance: AppearanceEncoder
    controlnet: ControlNetModel
    vae: AutoencoderKL
    text_encoder: CLIPTextModel

    def modules(self) -> list[nn.Module]:
        return [self.unet, self.appearance.unet, self.controlnet, self.vae, self.text_encoder]


def strip_motion_prefixes(state: State) -> dict[str, torch.Tensor]:
    out = {}
    for k, v in state.items():
        for prefix in ("module.", "unet."):
            k = k.removeprefix(prefix)
        out[k] = v
    return out


def load_unet(cfg: UNetConfig, base: State, base_src: str, motion: State, motion_src: str) -> MagicUNet3D:
    with torch.device("meta"):
        unet = MagicUNet3D(cfg, C.MOTION)
    own = list(unet.state_dict())
    motion_only = motion_keys(own)
    load_into(unet, base, base_src, [k for k in own if k not in set(motion_only)])
    load_into(unet, strip_motion_prefixes(motion), motion_src, motion_only)
    return unet.eval()


def load_appearance(cfg: UNetConfig, state: State, source: str) -> AppearanceEncoder:
    with torch.device("meta"):
        unet = build_appearance_unet(cfg)
    load_into(unet, state, source)
    return AppearanceEncoder(unet.eval())


def load_controlnet(config: dict, state: State, source: str) -> ControlNetModel:
    with torch.device("meta"):
        controlnet = ControlNetModel.from_config(config)
    load_into(controlnet, state, source)
    return controlnet.eval()


def load_text_encoder(config: dict, state: State, source: str) -> CLIPTextModel:
    """The SD1.5 file names keys `text_model.…`; transformers 5 keeps them without the prefix."""
    with torch.device("meta"):
        encoder = CLIPTextModel(CLIPTextConfig.from_dict(config))
    own = encoder.state_dict()
    prefix = "" if any(k.startswith(TEXT_PREFIX) for k in own) else TEXT_PREFIX
    state = {k: v for k, v in state.items() if k != TEXT_POSITION_IDS}
    check_keys({prefix + k: v.shape for k, v in own.items()}, state, source)
    encoder.load_state_dict({k.removeprefix(prefix): v for k, v in state.items()}, strict=False, assign=True)
    for name, buf in list(encoder.named_buffers()):  # non-persistent: never in a file
        if buf.device.type == "meta" and name.endswith("position_ids"):
            owner = encoder.get_submodule(name.rsplit(".", 1)[0])
            owner.register_buffer(
                "position_ids", torch.arange(buf.shape[-1]).expand(buf.shape).clone(), False
            )
    return encoder.eval()


def load_components(
    ids: ModelIds, dtype: torch.dtype = torch.float32, root: Path | None = None
) -> Components:
    check_installed(ids.all(), root)
    magic, sd = registry.model_dir(ids.magicanimate, root), registry.model_dir(ids.sd15, root)
    cfg = UNetConfig.from_json(sd / C.SD_UNET_CONFIG)
    unet = load_unet(
        cfg,
        load_weights(ids.sd15, C.SD_UNET_WEIGHTS, root),
        str(sd / C.SD_UNET_WEIGHTS),
        load_weights(ids.magicanimate, C.MOTION_FILE, root),
        str(magic / C.MOTION_FILE),
    )
    appearance_rel = f"{C.APPEARANCE_DIR}/{C.WEIGHTS}"
    appearance = load_appearance(
        UNetConfig.from_json(magic / C.APPEARANCE_DIR / C.CONFIG),
        load_weights(ids.magicanimate, appearance_rel, root),
        str(magic / appearance_rel),
    )
    control_rel = f"{C.CONTROLNET_DIR}/{C.WEIGHTS}"
    controlnet = load_controlnet(
        read_json(magic / C.CONTROLNET_DIR / C.CONFIG),
        load_weights(ids.magicanimate, control_rel, root),
        str(magic / control_rel),
    )
    text = load_text_encoder(
        read_json(sd / C.SD_TEXT_CONFIG),
        load_weights(ids.sd15, C.SD_TEXT_WEIGHTS, root),
        str(sd / C.SD_TEXT_WEIGHTS),
    )
    width = text.config.hidden_size
    if {
        cfg.cross_attention_dim,
        appearance.unet.config.cross_attention_dim,
        controlnet.config.cross_attention_dim,
    } != {width}:
        raise ModelError(
            f"{magic}: the UNet, appearance encoder and ControlNet must attend to the text encoder's {width} "
            f"channels (configs say {cfg.cross_attention_dim}, {appearance.unet.config.cross_attention_dim}, "
            f"{controlnet.config.cross_attention_dim})"
        )
    parts = Components(unet, appearance, controlnet, load_vae(ids.vae, root), text)
    for module in parts.modules():
        cast(module, dtype).requires_grad_(False)
    return parts
