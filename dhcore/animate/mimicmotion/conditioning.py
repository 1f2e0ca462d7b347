"""What MimicMotion is conditioned on, as SVD does it: the reference as one CLIP token and as an
unscaled VAE latent (plus optional noise augmentation), the added time ids, and the pose images
(frame 0 = the reference's own pose, then the driving poses read forward from a frames file).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from diffusers import AutoencoderKLTemporalDecoder
from diffusers.pipelines.stable_video_diffusion.pipeline_stable_video_diffusion import (
    _resize_with_antialiasing,
)
from transformers import CLIPVisionModelWithProjection

from dhcore.animate.animate_anyone.conditioning import CLIP_MEAN, CLIP_SIZE, CLIP_STD, FrameStreams


def _signed(image: np.ndarray) -> torch.Tensor:
    """RGB uint8 [H, W, 3] -> [1, 3, H, W] in [-1, 1]."""
    return torch.from_numpy(image.transpose(2, 0, 1).astype(np.float32) / 255.0)[None] * 2 - 1


def clip_pixels(image: np.ndarray) -> torch.Tensor:
    """SVD's CLIP input: anti-aliased bicubic resize of the whole image to 224x224, then CLIP's
    mean/std (no crop: the aspect ratio is not kept)."""
    x = (_resize_with_antialiasing(_signed(image), (CLIP_SIZE, CLIP_SIZE)) + 1) / 2
    mean, std = torch.from_numpy(CLIP_MEAN)[:, None, None], torch.from_numpy(CLIP_STD)[:, None, None]
    return (x - mean) / std


@torch.no_grad()
def clip_token(encoder: CLIPVisionModelWithProjection, image: np.ndarray) -> torch.Tensor:
    """The only cross-attention context of the UNet, [1, 1, D]."""
    p = next(encoder.parameters())
    return encoder(pixel_values=clip_pixels(image).to(p.device, p.dtype)).image_embeds[:, None].float()


@torch.no_grad()
def image_latent(
    vae: AutoencoderKLTemporalDecoder, image: np.ndarray, strength: float, noise: torch.Tensor
) -> torch.Tensor:
    """Posterior mode of the (noise-augmented) reference, [1, 4, H/8, W/8], not scaled: SVD
    concatenates it to every frame's latent as is."""
    p = next(vae.parameters())
    x = _signed(image) + strength * noise
    return vae.encode(x.to(p.device, p.dtype)).latent_dist.mode().float()


def added_time_ids(fps: int, motion_bucket_id: int, noise_strength: float) -> torch.Tensor:
    """SVD's micro-conditioning [1, 3]; it was trained on fps - 1."""
    return torch.tensor([[fps - 1, motion_bucket_id, noise_strength]], dtype=torch.float32)


@torch.no_grad()
def decode(vae: AutoencoderKLTemporalDecoder, latents: torch.Tensor) -> torch.Tensor:
    """[n, 4, h, w] -> [n, 3, H, W] in [0, 1]; the temporal decoder mixes these n frames only."""
    p = next(vae.parameters())
    z = latents.to(p.device, p.dtype) / vae.config.scaling_factor
    return (vae.decode(z, num_frames=len(latents)).sample.float() / 2 + 0.5).clamp(0, 1)


class StreamedPoses:
    """Pose images for the sampler: frame 0 is the reference pose, frame k the driving frame k-1."""

    def __init__(self, reference_pose: np.ndarray, streams: FrameStreams, name: str = "pose"):
        self.first, self.streams, self.name = reference_pose, streams, name

    def images(self, frames: Sequence[int]) -> np.ndarray:
        return np.stack([self.first if f == 0 else self.streams.get(f - 1)[self.name] for f in frames])

    def forget(self, before: int) -> None:
        self.streams.forget(before - 1)
