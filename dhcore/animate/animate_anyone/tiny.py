"""Tiny random Animate Anyone models, for tests and CPU benchmarks.

Like diffusers' `get_dummy_components`: the same module classes and key names as the releases,
built from tiny configs with seeded random weights. `write_release_folder` saves them in the
exact layout of the release downloads (`*.pth`, `stable-diffusion-v1-5/unet/config.json`,
`sd-vae-ft-mse/`, `image_encoder/`), and `install_tiny` registers them with `registry.add`, so a
test exercises the real loading path (weights-only torch.load, safetensors conversion, hashes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import torch
from diffusers import AutoencoderKL
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

from dhcore.animate.animate_anyone.components import ModelIds
from dhcore.animate.animate_anyone.config import Release, UNetConfig
from dhcore.animate.animate_anyone.guidance_encoder import GuidanceEncoder
from dhcore.animate.animate_anyone.pose_guider import PoseGuider
from dhcore.animate.animate_anyone.reference_unet import build_reference_unet
from dhcore.animate.animate_anyone.unet3d import DenoisingUNet3D, motion_keys
from dhcore.models import registry

TINY_UNET = {
    "_class_name": "UNet2DConditionModel",
    "block_out_channels": [32, 32, 32, 32],
    "layers_per_block": 2,
    "attention_head_dim": 8,
    "cross_attention_dim": 32,
    "norm_num_groups": 8,
    "norm_eps": 1e-5,
    "in_channels": 4,
    "out_channels": 4,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "down_block_types": [
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "DownBlock2D",
    ],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    "sample_size": 8,
}
TINY_VAE = {
    "_class_name": "AutoencoderKL",
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "block_out_channels": [8, 16, 16, 16],
    "layers_per_block": 1,
    "latent_channels": 4,
    "norm_num_groups": 8,
    "sample_size": 64,
    "scaling_factor": 0.18215,
}
TINY_CLIP = {
    "model_type": "clip_vision_model",
    "hidden_size": 32,
    "intermediate_size": 64,
    "projection_dim": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_channels": 3,
    "image_size": 224,
    "patch_size": 32,
    "hidden_act": "quick_gelu",
    "layer_norm_eps": 1e-5,
}
TINY_POSE_WIDTHS = (16, 32, 64, 128)
TINY_GUIDANCE_WIDTHS = (16, 32, 32, 32)

State = dict[str, torch.Tensor]


def random_release_states(release: Release, seed: int = 0) -> dict[str, State]:
    """Seeded random tensors for every checkpoint file of a release, at the tiny size."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        cfg = UNetConfig.from_dict(TINY_UNET)
        unet = DenoisingUNet3D(cfg, release.motion).state_dict()
        motion = set(motion_keys(list(unet)))
        states = {
            "denoising_unet.pth": {k: v for k, v in unet.items() if k not in motion},
            "motion_module.pth": {k: v for k, v in unet.items() if k in motion},
            "reference_unet.pth": build_reference_unet(cfg).state_dict(),
        }
        width = cfg.block_out_channels[0]
        for rel, kind in release.condition_files.items():
            if kind == "pose_guider":
                states[rel] = PoseGuider(width, TINY_POSE_WIDTHS).state_dict()
            else:
                states[rel] = GuidanceEncoder(width, TINY_GUIDANCE_WIDTHS).state_dict()
    return states


def random_vae(seed: int = 1) -> State:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return AutoencoderKL.from_config(TINY_VAE).state_dict()


def random_image_encoder(seed: int = 2) -> State:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return CLIPVisionModelWithProjection(CLIPVisionConfig(**TINY_CLIP)).state_dict()


def _save_pth(state: Mapping[str, torch.Tensor], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.detach().clone().contiguous() for k, v in state.items()}, path)


def write_release_folder(
    dest: Path,
    states: Mapping[str, State],
    unet_config: Mapping = TINY_UNET,
    vae: tuple[Mapping, State] | None = None,
    image_encoder: tuple[Mapping, State] | None = None,
) -> Path:
    """Write checkpoints and configs in the release download layout; returns `dest`."""
    dest = Path(dest)
    for rel, state in states.items():
        _save_pth(state, dest / rel)
    (dest / "stable-diffusion-v1-5" / "unet").mkdir(parents=True, exist_ok=True)
    (dest / "stable-diffusion-v1-5" / "unet" / "config.json").write_text(json.dumps(dict(unet_config)))
    vae_cfg, vae_state = vae or (TINY_VAE, random_vae())
    (dest / "sd-vae-ft-mse").mkdir(parents=True, exist_ok=True)
    (dest / "sd-vae-ft-mse" / "config.json").write_text(json.dumps(dict(vae_cfg)))
    _save_pth(vae_state, dest / "sd-vae-ft-mse" / "diffusion_pytorch_model.bin")
    clip_cfg, clip_state = image_encoder or (TINY_CLIP, random_image_encoder())
    (dest / "image_encoder").mkdir(parents=True, exist_ok=True)
    (dest / "image_encoder" / "config.json").write_text(json.dumps(dict(clip_cfg)))
    _save_pth(clip_state, dest / "image_encoder" / "pytorch_model.bin")
    return dest


def register_release_folder(folder: Path, release: Release, root: Path | None = None) -> ModelIds:
    """`dh models add` for every id a release needs, from a folder in the release layout."""
    ids = ModelIds(release=release.model_id)
    registry.add(ids.release, folder, root)
    registry.add(ids.unet_config, folder / "stable-diffusion-v1-5", root)
    registry.add(ids.vae, folder / "sd-vae-ft-mse", root)
    registry.add(ids.image_encoder, folder / "image_encoder", root)
    return ids


def install_tiny(folder: Path, release: Release, root: Path | None = None, seed: int = 0) -> ModelIds:
    """Write a tiny random release folder and register it: the fixture of CPU flow tests."""
    write_release_folder(folder, random_release_states(release, seed))
    return register_release_folder(folder, release, root)
