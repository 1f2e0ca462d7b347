"""Tiny random MimicMotion models, for tests and CPU benchmarks.

The same classes and key names as the release, built from tiny configs with seeded random
weights, written in the download layout (`MimicMotion_1-1.pth`; an SVD folder with the fp16
VAE and image-encoder safetensors) and registered with `registry.add`, so tests go through the
real loading path (weights-only torch.load, conversion, hashes, strict keys).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import torch
from diffusers import AutoencoderKLTemporalDecoder
from safetensors.torch import save_file
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

from dhcore.animate.mimicmotion.components import (
    IMAGE_ENCODER_FILES,
    RELEASE_FILE,
    SCHEDULER_CONFIG,
    UNET_CONFIG,
    VAE_FILES,
    ModelIds,
)
from dhcore.animate.mimicmotion.denoiser import MimicMotionNet
from dhcore.animate.mimicmotion.face_encoder import FaceEncoder
from dhcore.animate.mimicmotion.id_attention import install_id_adapter
from dhcore.animate.mimicmotion.pipeline import Components
from dhcore.models import registry

# widths are multiples of 32: every GroupNorm of the SVD blocks has 32 groups
TINY_UNET = {
    "_class_name": "UNetSpatioTemporalConditionModel",
    "in_channels": 8,
    "out_channels": 4,
    "block_out_channels": [32, 32, 32, 32],
    "num_attention_heads": [2, 2, 2, 2],
    "cross_attention_dim": 32,
    "addition_time_embed_dim": 16,
    "projection_class_embeddings_input_dim": 48,
    "layers_per_block": 1,
    "transformer_layers_per_block": 1,
    "down_block_types": [
        "CrossAttnDownBlockSpatioTemporal",
        "CrossAttnDownBlockSpatioTemporal",
        "CrossAttnDownBlockSpatioTemporal",
        "DownBlockSpatioTemporal",
    ],
    "up_block_types": [
        "UpBlockSpatioTemporal",
        "CrossAttnUpBlockSpatioTemporal",
        "CrossAttnUpBlockSpatioTemporal",
        "CrossAttnUpBlockSpatioTemporal",
    ],
    "num_frames": 25,
    "sample_size": 8,
}
TINY_VAE = {
    "_class_name": "AutoencoderKLTemporalDecoder",
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "block_out_channels": [32, 32, 32, 32],
    "layers_per_block": 1,
    "latent_channels": 4,
    "sample_size": 64,
    "scaling_factor": 0.18215,
    "force_upcast": True,
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
    "hidden_act": "gelu",
    "layer_norm_eps": 1e-5,
}
#: SVD img2vid-xt's scheduler (the real values: tiny runs sample with the real schedule)
SVD_SCHEDULER = {
    "_class_name": "EulerDiscreteScheduler",
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000,
    "prediction_type": "v_prediction",
    "use_karras_sigmas": True,
    "sigma_min": 0.002,
    "sigma_max": 700.0,
    "timestep_type": "continuous",
    "timestep_spacing": "leading",
    "steps_offset": 1,
    "interpolation_type": "linear",
}

State = dict[str, torch.Tensor]


def _seeded(seed: int, build) -> State:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build().state_dict()


def random_release_state(unet_config: Mapping = TINY_UNET, seed: int = 0) -> State:
    """`MimicMotion_1-1.pth` at the tiny size: `unet.*` then `pose_net.*`."""
    return _seeded(seed, lambda: MimicMotionNet(dict(unet_config)))


def random_vae(seed: int = 1) -> State:
    return _seeded(seed, lambda: AutoencoderKLTemporalDecoder.from_config(TINY_VAE))


def random_image_encoder(seed: int = 2) -> State:
    return _seeded(seed, lambda: CLIPVisionModelWithProjection(CLIPVisionConfig(**TINY_CLIP)))


def _json(path: Path, data: Mapping) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(data)))


def _fp16(state: Mapping[str, torch.Tensor], path: Path) -> None:
    """SVD ships these as fp16 safetensors (the `fp16` variant MimicMotion loads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().half().contiguous() for k, v in state.items()}, str(path))


def write_svd_folder(
    svd: Path,
    unet_config: Mapping = TINY_UNET,
    vae: tuple[Mapping, State] | None = None,
    image_encoder: tuple[Mapping, State] | None = None,
    scheduler: Mapping = SVD_SCHEDULER,
) -> Path:
    """The SVD files the backend reads, in the hub layout (fp16 VAE and image encoder)."""
    _json(svd / UNET_CONFIG, unet_config)
    vae_cfg, vae_state = vae or (TINY_VAE, random_vae())
    _json(svd / VAE_FILES[0], vae_cfg)
    _fp16(vae_state, svd / VAE_FILES[1])
    clip_cfg, clip_state = image_encoder or (TINY_CLIP, random_image_encoder())
    _json(svd / IMAGE_ENCODER_FILES[0], clip_cfg)
    _fp16(clip_state, svd / IMAGE_ENCODER_FILES[1])
    _json(svd / SCHEDULER_CONFIG, scheduler)
    return svd


def _save_pth(state: Mapping[str, torch.Tensor], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.detach().clone().contiguous() for k, v in state.items()}, path)


def write_release_folders(
    dest: Path,
    release: Mapping[str, torch.Tensor],
    unet_config: Mapping = TINY_UNET,
    vae: tuple[Mapping, State] | None = None,
    image_encoder: tuple[Mapping, State] | None = None,
    scheduler: Mapping = SVD_SCHEDULER,
) -> tuple[Path, Path]:
    """dest/mimicmotion/MimicMotion_1-1.pth and the SVD folder dest/svd; returns both folders."""
    mm = Path(dest) / "mimicmotion"
    _save_pth(release, mm / RELEASE_FILE)
    return mm, write_svd_folder(Path(dest) / "svd", unet_config, vae, image_encoder, scheduler)


def register_release_folders(mm: Path, svd: Path, root: Path | None = None) -> ModelIds:
    """`dh models add` for both models."""
    ids = ModelIds()
    registry.add(ids.release, mm, root)
    registry.add(ids.base, svd, root)
    return ids


def install_tiny(dest: Path, root: Path | None = None, seed: int = 0) -> ModelIds:
    """Write tiny random release folders and register them: the fixture of CPU flow tests."""
    return register_release_folders(*write_release_folders(dest, random_release_state(seed=seed)), root)


def tiny_components(seed: int = 0) -> Components:
    """The tiny random models in memory (no files): sampler tests and CPU benchmarks."""
    net = MimicMotionNet(TINY_UNET)
    net.load_state_dict(random_release_state(seed=seed))
    vae = AutoencoderKLTemporalDecoder.from_config(TINY_VAE)
    vae.load_state_dict(random_vae())
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(**TINY_CLIP))
    encoder.load_state_dict(random_image_encoder())
    parts = Components(net.eval(), vae.eval(), encoder.eval(), dict(SVD_SCHEDULER))
    for module in parts.modules():
        module.requires_grad_(False)
    return parts


# StableAnimator's Perceiver has heads of 64 channels: its tiny context width is 64, not 32
TINY_UNET_ID = {**TINY_UNET, "cross_attention_dim": 64}
TINY_CLIP_ID = {**TINY_CLIP, "projection_dim": 64}


def random_stableanimator_states(seed: int = 0) -> dict[str, State]:
    """StableAnimator's three release files at the tiny size."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = MimicMotionNet(TINY_UNET_ID)
        install_id_adapter(net.unet)
        face = FaceEncoder(dim=64, clip_dim=64)
        return {
            "unet.pth": net.unet.state_dict(),
            "pose_net.pth": net.pose_net.state_dict(),
            "face_encoder.pth": face.state_dict(),
        }


def install_tiny_stableanimator(dest: Path, root: Path | None = None, seed: int = 0) -> ModelIds:
    """StableAnimator's files and a matching SVD folder, registered (the insightface pack is not)."""
    folder = Path(dest) / "stableanimator"
    for rel, state in random_stableanimator_states(seed).items():
        _save_pth(state, folder / rel)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 2)
        clip = CLIPVisionModelWithProjection(CLIPVisionConfig(**TINY_CLIP_ID)).state_dict()
    svd = write_svd_folder(Path(dest) / "svd", TINY_UNET_ID, image_encoder=(TINY_CLIP_ID, clip))
    ids = ModelIds(identity="stableanimator", face_pack="buffalo_l")
    registry.add(ids.identity, folder, root)  # type: ignore[arg-type]
    registry.add(ids.base, svd, root)
    return ids
