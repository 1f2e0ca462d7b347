"""Build MimicMotion's modules and load them from the registered model folders.

Two models: the release file `MimicMotion_1-1.pth` (UNet and PoseNet, keys `unet.*` and
`pose_net.*`; the UNet is never taken from SVD) and the SVD img2vid-xt-1-1 folder (UNet config,
VAE, CLIP image encoder, scheduler config). Modules are built on the `meta` device and take the
checkpoint tensors directly; every file must match key for key (the release's own loader uses
`strict=False`, which silently loads nothing from a file without the prefixes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import AutoencoderKLTemporalDecoder

from dhcore.animate.animate_anyone.checkpoints import load_into, load_weights
from dhcore.animate.animate_anyone.components import cast, check_installed, load_image_encoder
from dhcore.animate.mimicmotion.denoiser import MimicMotionNet
from dhcore.animate.mimicmotion.face_encoder import FaceEncoder
from dhcore.animate.mimicmotion.id_attention import install_id_adapter
from dhcore.animate.mimicmotion.pipeline import Components
from dhcore.errors import ModelError
from dhcore.models import registry
from dhcore.models.state_dict import read_json

RELEASE_FILE = "MimicMotion_1-1.pth"
UNET_CONFIG = "unet/config.json"
VAE_FILES = ("vae/config.json", "vae/diffusion_pytorch_model.fp16.safetensors")
IMAGE_ENCODER_FILES = ("image_encoder/config.json", "image_encoder/model.fp16.safetensors")
SCHEDULER_CONFIG = "scheduler/scheduler_config.json"
SVD_FILES = (UNET_CONFIG, *VAE_FILES, *IMAGE_ENCODER_FILES, SCHEDULER_CONFIG)
#: StableAnimator's release: three files, no prefixes, all loaded strictly by its own code too
STABLEANIMATOR_FILES = ("unet.pth", "pose_net.pth", "face_encoder.pth")


@dataclass(frozen=True)
class ModelIds:
    release: str = "mimicmotion"
    base: str = "svd_xt_1_1"
    #: StableAnimator's identity path: its release replaces MimicMotion's, plus an insightface pack
    identity: str | None = None
    face_pack: str | None = None

    def all(self) -> list[str]:
        if self.identity:
            return [self.identity, self.base, *([self.face_pack] if self.face_pack else [])]
        return [self.release, self.base]


def load_net(unet_config: dict, state: dict[str, torch.Tensor], source: str) -> MimicMotionNet:
    with torch.device("meta"):
        net = MimicMotionNet(unet_config)
    load_into(net, state, source)
    return net.eval()


def load_vae(model_id: str, root: Path | None) -> AutoencoderKLTemporalDecoder:
    folder = registry.model_dir(model_id, root)
    with torch.device("meta"):
        vae = AutoencoderKLTemporalDecoder.from_config(read_json(folder / VAE_FILES[0]))
    load_into(vae, load_weights(model_id, VAE_FILES[1], root), str(folder / VAE_FILES[1]))
    return vae.eval()


def load_stableanimator(
    model_id: str, unet_config: dict, cross_attention_dim: int, root: Path | None
) -> tuple[MimicMotionNet, FaceEncoder]:
    """UNet with ID adapters (unet.pth), PoseNet (pose_net.pth) and face encoder (face_encoder.pth)."""
    folder = registry.model_dir(model_id, root)
    with torch.device("meta"):
        net = MimicMotionNet(unet_config)
        install_id_adapter(net.unet)
        face = FaceEncoder(dim=cross_attention_dim, clip_dim=cross_attention_dim)
    for module, rel in ((net.unet, "unet.pth"), (net.pose_net, "pose_net.pth"), (face, "face_encoder.pth")):
        load_into(module, load_weights(model_id, rel, root), str(folder / rel))
    return net.eval(), face.eval()


def load_components(
    ids: ModelIds, dtype: torch.dtype = torch.float32, root: Path | None = None
) -> Components:
    check_installed(ids.all(), root)
    base = registry.model_dir(ids.base, root)
    unet_config = read_json(base / UNET_CONFIG)
    face = None
    if ids.identity:
        release = registry.model_dir(ids.identity, root) / "unet.pth"
        cross = int(unet_config.get("cross_attention_dim", 1024))
        net, face = load_stableanimator(ids.identity, unet_config, cross, root)
    else:
        release = registry.model_dir(ids.release, root) / RELEASE_FILE
        net = load_net(unet_config, load_weights(ids.release, RELEASE_FILE, root), str(release))
    vae = load_vae(ids.base, root)
    encoder = load_image_encoder(ids.base, root, "image_encoder", Path(IMAGE_ENCODER_FILES[1]).name)
    unet = net.unet.config
    if encoder.config.projection_dim != unet.cross_attention_dim:
        raise ModelError(
            f"{base / IMAGE_ENCODER_FILES[0]}: the image encoder projects to {encoder.config.projection_dim}, "
            f"the UNet ({release}) attends to {unet.cross_attention_dim}"
        )
    if unet.in_channels != 2 * vae.config.latent_channels:
        raise ModelError(
            f"{base / VAE_FILES[0]}: {vae.config.latent_channels} latent channels; the UNet ({release}) "
            f"takes {unet.in_channels} (noisy latents and the reference latent)"
        )
    parts = Components(net, vae, encoder, read_json(base / SCHEDULER_CONFIG), face)
    for module in parts.modules():
        cast(module, dtype).requires_grad_(False)
    return parts
