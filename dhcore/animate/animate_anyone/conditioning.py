"""What the denoiser is conditioned on: the reference image (CLIP token, VAE latent) and the
per-frame pose / guidance images, read from frame files in order and turned into features on
demand (frames leave memory once every window that covers them has finished).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np
import torch
from diffusers import AutoencoderKL
from PIL import Image
from torch import nn
from transformers import CLIPVisionModelWithProjection

from dhcore.animate.animate_anyone.config import VAE_SCALE
from dhcore.animate.animate_anyone.pose_guider import PoseGuider
from dhcore.errors import InputError

CLIP_SIZE = 224
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def clip_pixels(image: np.ndarray) -> torch.Tensor:
    """RGB uint8 [H, W, 3] -> CLIP input [1, 3, 224, 224]: the releases resize the whole image to
    224x224 (PIL bicubic, aspect not kept), then CLIPImageProcessor's defaults (no-op resize and
    crop at that size, /255, OpenAI mean/std)."""
    small = Image.fromarray(image).resize((CLIP_SIZE, CLIP_SIZE), Image.BICUBIC)
    x = (np.asarray(small, dtype=np.float32) / 255.0 - CLIP_MEAN) / CLIP_STD
    return torch.from_numpy(x.transpose(2, 0, 1).copy())[None]


@torch.no_grad()
def clip_context(encoder: CLIPVisionModelWithProjection, image: np.ndarray) -> torch.Tensor:
    """The reference's cross-attention context [1, 1, D] (CLIP `image_embeds`)."""
    p = next(encoder.parameters())
    return encoder(pixel_values=clip_pixels(image).to(p.device, p.dtype)).image_embeds[:, None]


@torch.no_grad()
def reference_latent(vae: AutoencoderKL, image: np.ndarray) -> torch.Tensor:
    """RGB uint8 [H, W, 3] at the output size -> posterior mean x 0.18215, [1, 4, H/8, W/8]."""
    p = next(vae.parameters())
    x = torch.from_numpy(image.transpose(2, 0, 1).copy())[None].to(p.device, torch.float32) / 255.0 * 2 - 1
    return vae.encode(x.to(p.dtype)).latent_dist.mean * VAE_SCALE


@torch.no_grad()
def decode_images(vae: AutoencoderKL, latents: torch.Tensor) -> torch.Tensor:
    """[n, 4, h, w] -> images [n, 3, H, W] in [0, 1] (each frame decoded on its own)."""
    p = next(vae.parameters())
    x = vae.decode(latents.to(p.device, p.dtype) / VAE_SCALE).sample.float()
    return (x / 2 + 0.5).clamp(0, 1)


def decode_latents(vae: AutoencoderKL, latents: torch.Tensor) -> np.ndarray:
    """[n, 4, h, w] -> RGB uint8 [n, H, W, 3]."""
    x = decode_images(vae, latents)
    return (x * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


class FrameStreams:
    """Named frame streams read forward only; keeps the frames some window may still need."""

    def __init__(self, streams: Mapping[str, tuple[Path, Iterator[np.ndarray]]], size: tuple[int, int]):
        self.streams = dict(streams)
        self.width, self.height = size
        self.frames: dict[int, dict[str, np.ndarray]] = {}
        self.read = 0  # frames read so far

    def _read_chunk(self) -> None:
        chunks = {}
        for name, (path, it) in self.streams.items():
            chunk = next(it, None)
            if chunk is None:
                raise InputError(f"{path}: has only {self.read} frames, but more are needed ({name} frames)")
            chunks[name] = chunk
        n = min(len(c) for c in chunks.values())
        for name, (path, it) in self.streams.items():
            if len(chunks[name]) > n:  # streams chunked differently: keep the rest for later
                rest = chunks[name][n:]
                self.streams[name] = (path, _prepend(rest, it))
        for i in range(n):
            self.frames[self.read + i] = {name: self._fit(c[i]) for name, c in chunks.items()}
        self.read += n

    def _fit(self, frame: np.ndarray) -> np.ndarray:
        if frame.shape[:2] != (self.height, self.width):
            frame = cv2.resize(frame, (self.width, self.height), interpolation=cv2.INTER_CUBIC)
        return frame

    def get(self, index: int) -> dict[str, np.ndarray]:
        while index >= self.read:
            self._read_chunk()
        return self.frames[index]

    def forget(self, before: int) -> None:
        for i in [i for i in self.frames if i < before]:
            del self.frames[i]


def _prepend(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest


class FeatureConditioning:
    """Pose-guider (or summed Champ guidance) features for any frames, computed on demand."""

    def __init__(self, encoder: nn.Module, streams: FrameStreams):
        self.encoder, self.streams = encoder, streams
        p = next(encoder.parameters())
        self.device, self.dtype = p.device, p.dtype

    @torch.no_grad()
    def features(self, frames: Sequence[int]) -> torch.Tensor:
        per_frame = [self.streams.get(f) for f in frames]
        images = {}
        for name in per_frame[0]:
            x = torch.from_numpy(np.stack([fr[name] for fr in per_frame])).to(self.device, torch.float32)
            images[name] = (x.permute(0, 3, 1, 2) / 255.0).to(self.dtype)
        if isinstance(self.encoder, PoseGuider):
            out = self.encoder(images["pose"])
        else:
            out = self.encoder(images)
        return out.transpose(0, 1)  # [C, L, h, w]

    def forget(self, before: int) -> None:
        self.streams.forget(before)
