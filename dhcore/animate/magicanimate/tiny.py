"""Tiny random MagicAnimate models, for tests and CPU benchmarks.

The same module classes and key names as the release, built from tiny configs with seeded random
weights. `write_model_folders` saves them in the download layout (`MagicAnimate/…`,
`stable-diffusion-v1-5/{unet,text_encoder}/`, `sd-vae-ft-mse/`) and `register_model_folders`
adds them with `registry.add`, so a test exercises the real loading path (registry, hashes,
weights-only torch.load of the motion checkpoint, safetensors conversion, strict keys).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import torch
from diffusers import AutoencoderKL, ControlNetModel
from safetensors.torch import save_file
from transformers import CLIPTextConfig, CLIPTextModel

from dhcore.animate.animate_anyone.config import UNetConfig
from dhcore.animate.animate_anyone.tiny import TINY_UNET, TINY_VAE
from dhcore.animate.magicanimate import config as C
from dhcore.animate.magicanimate.appearance_encoder import build_appearance_unet
from dhcore.animate.magicanimate.components import TEXT_PREFIX, ModelIds
from dhcore.animate.magicanimate.unet3d import MagicUNet3D, motion_keys
from dhcore.models import registry

TINY_CONTROLNET = {
    "_class_name": "ControlNetModel",
    **{
        k: v
        for k, v in TINY_UNET.items()
        if k not in ("_class_name", "out_channels", "up_block_types", "sample_size")
    },
    "conditioning_embedding_out_channels": [16, 32, 32, 32],
    "controlnet_conditioning_channel_order": "rgb",
}
TINY_TEXT = {
    "vocab_size": 49408,
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "max_position_embeddings": 77,
    "hidden_act": "quick_gelu",
    "layer_norm_eps": 1e-05,
    "projection_dim": 32,
}
#: file stems of the release's checkpoints (as in the reference data's tiny/ folder)
STEMS = (
    "appearance_encoder", "densepose_controlnet", "temporal_attention", "sd15_unet", "sd15_text_encoder",
    "sd_vae_ft_mse",
)  # fmt: skip
CONFIGS = {"unet": TINY_UNET, "appearance_encoder": TINY_UNET, "densepose_controlnet": TINY_CONTROLNET,
           "text_encoder": TINY_TEXT, "vae": TINY_VAE}  # fmt: skip

State = dict[str, torch.Tensor]


def random_states(seed: int = 0) -> dict[str, State]:
    """Seeded random tensors for every checkpoint file, at the tiny size, by file stem."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        cfg = UNetConfig.from_dict(TINY_UNET)
        unet = MagicUNet3D(cfg, C.MOTION).state_dict()
        motion = set(motion_keys(list(unet)))
        text = CLIPTextModel(CLIPTextConfig(**TINY_TEXT)).state_dict()
        prefix = "" if any(k.startswith(TEXT_PREFIX) for k in text) else TEXT_PREFIX
        return {
            "appearance_encoder": build_appearance_unet(cfg).state_dict(),
            "densepose_controlnet": ControlNetModel.from_config(TINY_CONTROLNET).state_dict(),
            "temporal_attention": {k: v for k, v in unet.items() if k in motion},
            "sd15_unet": {k: v for k, v in unet.items() if k not in motion},
            "sd15_text_encoder": {prefix + k: v for k, v in text.items()},
            "sd_vae_ft_mse": AutoencoderKL.from_config(TINY_VAE).state_dict(),
        }


def _safetensors(state: Mapping[str, torch.Tensor], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().clone().contiguous() for k, v in state.items()}, str(path))


def _json(data: Mapping, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(data)))


def write_model_folders(
    dest: Path, states: Mapping[str, State], configs: Mapping[str, Mapping] = CONFIGS, motion_prefix: str = ""
) -> Path:
    """Write the checkpoints and configs in the download layout under `dest`; returns `dest`.
    `motion_prefix` (e.g. "module.") is put in front of the motion checkpoint's keys."""
    dest = Path(dest)
    magic, sd, vae = dest / "MagicAnimate", dest / "stable-diffusion-v1-5", dest / "sd-vae-ft-mse"
    for sub, stem, cfg in (
        (C.APPEARANCE_DIR, "appearance_encoder", "appearance_encoder"),
        (C.CONTROLNET_DIR, "densepose_controlnet", "densepose_controlnet"),
    ):
        _safetensors(states[stem], magic / sub / C.WEIGHTS)
        _json(configs[cfg], magic / sub / C.CONFIG)
    (magic / C.MOTION_FILE).parent.mkdir(parents=True, exist_ok=True)
    motion = {
        motion_prefix + k: v.detach().clone().contiguous() for k, v in states["temporal_attention"].items()
    }
    torch.save({"state_dict": motion}, magic / C.MOTION_FILE)
    _safetensors(states["sd15_unet"], sd / C.SD_UNET_WEIGHTS)
    _json(configs["unet"], sd / C.SD_UNET_CONFIG)
    _safetensors(states["sd15_text_encoder"], sd / C.SD_TEXT_WEIGHTS)
    _json(configs["text_encoder"], sd / C.SD_TEXT_CONFIG)
    vae.mkdir(parents=True, exist_ok=True)
    torch.save(
        {k: v.detach().clone().contiguous() for k, v in states["sd_vae_ft_mse"].items()},
        vae / "diffusion_pytorch_model.bin",
    )
    _json(configs["vae"], vae / "config.json")
    return dest


def register_model_folders(folder: Path, root: Path | None = None) -> ModelIds:
    """`dh models add` for every id MagicAnimate needs, from a folder in the download layout."""
    ids = ModelIds()
    registry.add(ids.magicanimate, folder / "MagicAnimate", root)
    registry.add(ids.sd15, folder / "stable-diffusion-v1-5", root)
    registry.add(ids.vae, folder / "sd-vae-ft-mse", root)
    return ids


def install_tiny(folder: Path, root: Path | None = None, seed: int = 0) -> ModelIds:
    """Write tiny random model folders and register them: the fixture of CPU flow tests."""
    return register_model_folders(write_model_folders(folder, random_states(seed)), root)
