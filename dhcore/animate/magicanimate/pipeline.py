"""One MagicAnimate run: reference image + DensePose frames -> RGB frames, streamed in order.

The text encoder runs once (the prompt is always empty) and, on a GPU, goes back to the CPU with
the VAE encoder's job done; the appearance encoder stays (it runs once per step). Finished latents
are decoded `decode_chunk` frames at a time and handed to `write` at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from dhcore.animate.animate_anyone.conditioning import FrameStreams, decode_latents, reference_latent
from dhcore.animate.animate_anyone.sampler import FrameNoise, SamplerSettings
from dhcore.animate.animate_anyone.scheduler import VDDIM
from dhcore.animate.magicanimate.components import Components
from dhcore.animate.magicanimate.config import RELEASE
from dhcore.animate.magicanimate.sampler import AppearanceBanks, DensePoseControl, MagicSampler, TiledNoise
from dhcore.animate.magicanimate.text import empty_prompt_embedding
from dhcore.stage import Progress, no_progress


@dataclass(frozen=True)
class RunSettings:
    sampler: SamplerSettings
    seed: int = 0
    noise: str = "tiled"  # the release's 16-frame draw repeated; or "per_frame"
    release_nocfg_mask: bool = False
    decode_chunk: int = 4


@dataclass
class RunStats:
    frames: int = 0
    windows: int = 0
    unet_calls: int = 0
    controlnet_calls: int = 0
    appearance_calls: int = 0
    max_live_frames: int = 0


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
    """Generate `frames` frames; `image` is the reference at the output size (RGB uint8);
    `streams` yields a "densepose" frame per output frame."""
    h, w = image.shape[0] // 8, image.shape[1] // 8
    for module in parts.modules():
        module.to(device)
    text = empty_prompt_embedding(parts.text_encoder)
    ref = reference_latent(parts.vae, image)
    if device.type != "cpu":
        parts.text_encoder.to("cpu")
    noise = (
        TiledNoise(settings.seed, (4, h, w), RELEASE.window)
        if settings.noise == "tiled"
        else FrameNoise(settings.seed, frames, (4, h, w))
    )
    banks = AppearanceBanks(parts.appearance, parts.unet, ref, text)
    control = DensePoseControl(parts.controlnet, streams, text)
    try:
        done = [0]

        def tick(step: int, window: int, prediction: torch.Tensor) -> None:
            done[0] += 1
            progress(done[0], total)

        sampler = MagicSampler(
            parts.unet, VDDIM(RELEASE, settings.sampler.steps), text, banks, control, noise, frames,
            settings.sampler, settings.release_nocfg_mask, on_unet=tick,
        )  # fmt: skip
        total = len(sampler.windows) * settings.sampler.steps
        pending: list[torch.Tensor] = []
        for _, latent in sampler.run():
            pending.append(latent)
            if len(pending) == settings.decode_chunk:
                write(decode_latents(parts.vae, torch.stack(pending)))
                pending = []
        if pending:
            write(decode_latents(parts.vae, torch.stack(pending)))
        return RunStats(
            frames, len(sampler.windows), sampler.unet_calls, control.calls, banks.encoder_calls,
            sampler.max_live_frames,
        )  # fmt: skip
    finally:
        parts.unet.reference.clear()
