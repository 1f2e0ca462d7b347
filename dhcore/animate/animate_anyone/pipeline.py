"""One animation run: reference image + conditioning frames -> RGB frames, streamed in order.

The ReferenceNet and CLIP run once and, on a GPU, go back to the CPU afterwards (they are not
needed again); the denoiser, the conditioning encoder and the VAE stay. Finished latents are
decoded `decode_chunk` frames at a time and handed to `write` at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from dhcore.animate.animate_anyone.components import Components
from dhcore.animate.animate_anyone.conditioning import (
    FeatureConditioning,
    FrameStreams,
    clip_context,
    decode_latents,
    reference_latent,
)
from dhcore.animate.animate_anyone.sampler import FrameNoise, SamplerSettings, WavefrontSampler
from dhcore.animate.animate_anyone.scheduler import VDDIM
from dhcore.stage import Progress, no_progress


@dataclass(frozen=True)
class RunSettings:
    sampler: SamplerSettings
    seed: int = 0
    noise: str = "per_frame"  # or "reference" (the release scripts' single CPU draw)
    decode_chunk: int = 4


@dataclass
class RunStats:
    frames: int = 0
    windows: int = 0
    unet_calls: int = 0
    max_live_frames: int = 0


@torch.no_grad()
def encode_reference(parts: Components, image: np.ndarray, device: torch.device) -> torch.Tensor:
    """CLIP context of the reference; fills the denoiser's reference bank. image: RGB [H, W, 3]."""
    offload = device.type != "cpu"
    for module in (parts.image_encoder, parts.reference.unet):
        module.to(device)
    parts.vae.to(device)
    try:
        context = clip_context(parts.image_encoder, image)
        bank = parts.reference.bank(reference_latent(parts.vae, image), context)
        parts.unet.reference.load(bank)
    finally:
        if offload:
            parts.image_encoder.to("cpu")
            parts.reference.unet.to("cpu")
    return context


def animate(
    parts: Components,
    image: np.ndarray,
    streams: FrameStreams,
    frames: int,
    settings: RunSettings,
    device: torch.device,
    write: Callable[[np.ndarray], None],
    progress: Progress = no_progress,
) -> RunStats:
    """Generate `frames` frames; `image` is the reference at the output size (RGB uint8)."""
    h, w = image.shape[0] // 8, image.shape[1] // 8
    for module in (parts.unet, parts.condition, parts.vae):
        module.to(device)
    context = encode_reference(parts, image, device)
    try:
        done = [0]

        def tick(step: int, window: int, prediction: torch.Tensor) -> None:
            done[0] += 1
            progress(done[0], total)

        sampler = WavefrontSampler(
            unet=parts.unet,
            schedule=VDDIM(parts.release, settings.sampler.steps),
            context=context,
            conditioning=FeatureConditioning(parts.condition, streams),
            noise=FrameNoise(settings.seed, frames, (4, h, w), settings.noise),
            frames=frames,
            settings=settings.sampler,
            on_unet=tick,
        )
        total = len(sampler.windows) * settings.sampler.steps  # window-steps: progress(done, total)
        pending: list[torch.Tensor] = []
        for _, latent in sampler.run():
            pending.append(latent)
            if len(pending) == settings.decode_chunk:
                write(decode_latents(parts.vae, torch.stack(pending)))
                pending = []
        if pending:
            write(decode_latents(parts.vae, torch.stack(pending)))
        return RunStats(frames, len(sampler.windows), sampler.unet_calls, sampler.max_live_frames)
    finally:
        parts.unet.reference.clear()
