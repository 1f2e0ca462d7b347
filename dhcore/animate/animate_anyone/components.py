"""Build every module of one release and load it from the registered model folders.

Modules are built on the `meta` device and take the checkpoint tensors directly (no 3 GB of
random init first), then are cast to the requested dtype on the CPU; the pipeline moves them to
the compute device.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch
from diffusers import AutoencoderKL
from torch import nn
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

from dhcore.animate.animate_anyone.checkpoints import load_into, load_weights
from dhcore.animate.animate_anyone.config import GUIDANCE_TYPES, Release, UNetConfig
from dhcore.animate.animate_anyone.guidance_encoder import MultiGuidance, guidance_encoder_for
from dhcore.animate.animate_anyone.motion_module import sinusoid_table
from dhcore.animate.animate_anyone.pose_guider import pose_guider_for
from dhcore.animate.animate_anyone.reference_unet import ReferenceNet, build_reference_unet
from dhcore.animate.animate_anyone.unet3d import DenoisingUNet3D
from dhcore.errors import ModelError
from dhcore.models import registry
from dhcore.models.state_dict import read_json

UNET_CONFIG_FILE = "unet/config.json"
VAE_FILES = ("config.json", "diffusion_pytorch_model.bin")
IMAGE_ENCODER_FILES = ("config.json", "pytorch_model.bin")


@dataclass(frozen=True)
class ModelIds:
    """Registry ids of everything one run loads."""

    release: str
    unet_config: str = "sd15_unet_config"
    vae: str = "sd_vae_ft_mse"
    image_encoder: str = "sd_image_variations_image_encoder"

    def all(self) -> list[str]:
        return [self.release, self.unet_config, self.vae, self.image_encoder]


@dataclass
class Components:
    release: Release
    unet: DenoisingUNet3D
    reference: ReferenceNet
    condition: nn.Module  # PoseGuider, or MultiGuidance for Champ
    vae: AutoencoderKL
    image_encoder: CLIPVisionModelWithProjection

    def modules(self) -> list[nn.Module]:
        return [self.unet, self.reference.unet, self.condition, self.vae, self.image_encoder]


def check_installed(ids: list[str], root: Path | None = None) -> None:
    """One error naming every missing or corrupt model, with the layout each one needs."""
    problems = []
    for model_id in ids:
        try:
            registry.verify(model_id, root)
        except ModelError as exc:
            problems.append(str(exc))
    if problems:
        raise ModelError("\n".join(problems))


def _materialize_buffers(module: nn.Module, source: str) -> None:
    """Buffers that no checkpoint holds: the recomputed `pe` tables (MusePose) and CLIP's
    non-persistent position ids."""
    for name, buf in list(module.named_buffers()):
        if buf.device.type != "meta":
            continue
        owner = module.get_submodule(name.rsplit(".", 1)[0]) if "." in name else module
        leaf = name.rsplit(".", 1)[-1]
        if leaf == "pe":
            value = sinusoid_table(buf.shape[-1], buf.shape[1])
        elif leaf == "position_ids":
            value = torch.arange(buf.shape[-1]).expand(buf.shape).clone()
        else:
            raise ModelError(f"{source}: no value for buffer {name}")
        owner.register_buffer(leaf, value, persistent=leaf == "pe")


class Weights(Protocol):
    """Where checkpoint files come from: the registry in production, manifests in tests."""

    def state(self, rel: str) -> dict[str, torch.Tensor]: ...

    def where(self, rel: str) -> str: ...


@dataclass(frozen=True)
class RegistryWeights:
    model_id: str
    root: Path | None = None

    def state(self, rel: str) -> dict[str, torch.Tensor]:
        return load_weights(self.model_id, rel, self.root)

    def where(self, rel: str) -> str:
        return str(registry.model_dir(self.model_id, self.root) / rel)


def load_unets(release: Release, cfg: UNetConfig, weights: Weights) -> tuple[DenoisingUNet3D, ReferenceNet]:
    """Denoiser = denoising_unet.pth + motion_module.pth; ReferenceNet = reference_unet.pth."""
    with torch.device("meta"):
        unet = DenoisingUNet3D(cfg, release.motion)
        ref_unet = build_reference_unet(cfg)
    own = list(unet.state_dict())
    motion = [k for k in own if "motion_module" in k]
    base = [k for k in own if "motion_module" not in k]
    load_into(unet, weights.state("denoising_unet.pth"), weights.where("denoising_unet.pth"), base)
    mm = weights.state("motion_module.pth")
    optional: list[str] = []
    if not release.pe_from_file:  # MusePose: tables always recomputed at its own length
        mm = {k: v for k, v in mm.items() if not k.endswith("pe")}
        optional = [k for k in motion if k.endswith(".pe")]
    load_into(unet, mm, weights.where("motion_module.pth"), motion, optional)
    _materialize_buffers(unet, weights.where("motion_module.pth"))
    load_into(ref_unet, weights.state("reference_unet.pth"), weights.where("reference_unet.pth"))
    return unet.eval(), ReferenceNet(ref_unet)


def load_condition(release: Release, width: int, types: tuple[str, ...], weights: Weights) -> nn.Module:
    """The pose guider, or Champ's guidance encoders of `types` (summed)."""
    if "pose_guider.pth" in release.condition_files:
        state = weights.state("pose_guider.pth")
        module: nn.Module = pose_guider_for(state, weights.where("pose_guider.pth"))
        load_into(module, state, weights.where("pose_guider.pth"))
        heads = [module]
    else:
        encoders = {}
        for t in types:
            if t not in GUIDANCE_TYPES:
                raise ModelError(f"unknown guidance type {t!r} (known: {', '.join(GUIDANCE_TYPES)})")
            rel = f"guidance_encoder_{t}.pth"
            state = weights.state(rel)
            encoders[t] = guidance_encoder_for(state, weights.where(rel))
            load_into(encoders[t], state, weights.where(rel))
        module = MultiGuidance(encoders)
        heads = list(encoders.values())
    if {h.conv_out.out_channels for h in heads} != {width}:
        raise ModelError(
            f"{weights.where('')}: conditioning features do not have the UNet's {width} channels"
        )
    return module.eval()


def load_vae(model_id: str, root: Path | None) -> AutoencoderKL:
    folder = registry.model_dir(model_id, root)
    with torch.device("meta"):
        vae = AutoencoderKL.from_config(read_json(folder / "config.json"))
    load_into(vae, load_weights(model_id, VAE_FILES[1], root), str(folder / VAE_FILES[1]))
    return vae.eval()


def clip_vision_config(data: dict) -> CLIPVisionConfig:
    if data.get("model_type") == "clip" and "vision_config" in data:  # a full CLIPConfig
        vision = dict(data["vision_config"])
        vision.setdefault("projection_dim", data.get("projection_dim", 512))
        data = vision
    keep = {
        k: v for k, v in data.items() if not k.startswith("_") and k not in ("architectures", "model_type")
    }
    return CLIPVisionConfig(**keep)


def load_image_encoder(
    model_id: str, root: Path | None, subfolder: str = "", weights: str = IMAGE_ENCODER_FILES[1]
) -> CLIPVisionModelWithProjection:
    """CLIP vision tower from `subfolder` of a registered model (SVD keeps it in image_encoder/)."""
    folder = registry.model_dir(model_id, root) / subfolder
    cfg = clip_vision_config(read_json(folder / "config.json"))
    with torch.device("meta"):
        encoder = CLIPVisionModelWithProjection(cfg)
    state = load_weights(model_id, str(Path(subfolder) / weights), root)
    # a persistent buffer in older transformers, non-persistent now: the arange it always holds
    state.pop("vision_model.embeddings.position_ids", None)
    load_into(encoder, state, str(folder / weights))
    _materialize_buffers(encoder, str(folder))
    return encoder.eval()


def cast(module: nn.Module, dtype: torch.dtype) -> nn.Module:
    """nn.Module.to: diffusers' override warns about fp32-kept modules these models do not have."""
    return nn.Module.to(module, dtype=dtype)


def load_components(
    release: Release,
    ids: ModelIds,
    dtype: torch.dtype = torch.float32,
    guidance_types: tuple[str, ...] = GUIDANCE_TYPES,
    root: Path | None = None,
) -> Components:
    check_installed(ids.all(), root)
    cfg = UNetConfig.from_json(registry.model_dir(ids.unet_config, root) / UNET_CONFIG_FILE)
    weights = RegistryWeights(ids.release, root)
    unet, reference = load_unets(release, cfg, weights)
    condition = load_condition(release, cfg.block_out_channels[0], guidance_types, weights)
    vae, encoder = load_vae(ids.vae, root), load_image_encoder(ids.image_encoder, root)
    if encoder.config.projection_dim != cfg.cross_attention_dim:
        raise ModelError(
            f"image encoder {ids.image_encoder} projects to {encoder.config.projection_dim}, "
            f"the UNets expect {cfg.cross_attention_dim}"
        )
    parts = Components(release, unet, reference, condition, vae, encoder)
    for module in parts.modules():
        cast(module, dtype).requires_grad_(False)
    return parts
