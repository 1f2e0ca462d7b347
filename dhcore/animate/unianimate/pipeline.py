"""One UniAnimate run: reference image + its pose + skeleton frames -> RGB frames, streamed in order.

The long-video script's path for every length: one pass with the reference frame, the pose and
the CLIP tokens; windows of `window` frames overlapping by `overlap`, the last one snapped to the
end (the shared open window placement equals the release's for every length above one window);
the noise prior around the reference latent. Memory is bounded by the wavefront sampler, not by
the video length (with `noise="per_frame"`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from dhcore.animate.animate_anyone.conditioning import FrameStreams, decode_latents
from dhcore.animate.animate_anyone.sampler import SamplerSettings, UNetHook, WavefrontSampler
from dhcore.animate.unianimate.components import Parts
from dhcore.animate.unianimate.denoiser import CfgDenoiser, PoseConditioning, PriorNoise, pose_tensor
from dhcore.animate.unianimate.scheduler import UniAnimateDDIM
from dhcore.animate.unianimate.vae import encode_sample
from dhcore.stage import Progress, no_progress


@dataclass(frozen=True)
class RunSettings:
    steps: int = 30  # the release's ddim_timesteps (30 runs 31 timesteps)
    guidance_scale: float = 2.5
    window: int = 32
    overlap: int = 8
    window_batch: int = 1
    seed: int = 0
    noise: str = "per_frame"  # or "reference": the release's single CPU draw (O(length))
    noise_prior: int = 939
    noise_strength: float = 0.1
    decode_chunk: int = 2


@dataclass
class RunStats:
    frames: int = 0
    windows: int = 0
    unet_calls: int = 0
    max_live_frames: int = 0


@dataclass
class Prepared:
    """What the sampler starts from (kept for tests: the release's intermediates)."""

    image_embed: torch.Tensor  # [1, 1, D]
    ref_latent: torch.Tensor  # [1, 4, h, w]
    noise: PriorNoise


@torch.no_grad()
def prepare(
    parts: Parts, image: np.ndarray, frames: int, schedule: UniAnimateDDIM, settings: RunSettings,
    device: torch.device,
) -> Prepared:  # fmt: skip
    """CLIP embedding, VAE-sampled reference latent and the initial-noise source. image: RGB uint8 at the output size."""
    h, w = image.shape[0] // 8, image.shape[1] // 8
    gen = torch.Generator().manual_seed(settings.seed)
    eps = torch.randn((1, 4, h, w), generator=gen)  # the release's first draw after seeding
    pixels = torch.from_numpy(image.transpose(2, 0, 1).copy())[None].float() / 255.0
    ref_latent = encode_sample(parts.vae, pixels, eps).float()
    embed = parts.clip.image_embedding(image).to(device)
    noise = PriorNoise(
        ref_latent, schedule, settings.seed, frames, settings.noise_prior, settings.noise_strength,
        settings.noise, generator=gen if settings.noise == "reference" else None,
    )  # fmt: skip
    return Prepared(embed, ref_latent.to(device), noise)


def sampler_for(
    parts: Parts, schedule: UniAnimateDDIM, start: Prepared, ref_pose: np.ndarray, streams: FrameStreams,
    frames: int, settings: RunSettings, device: torch.device, on_unet: UNetHook | None = None,
) -> WavefrontSampler:  # fmt: skip
    """The shared wavefront sampler driving UniAnimate's denoiser (duck-typed: denoiser, schedule, noise)."""
    dtype = next(parts.unet.parameters()).dtype
    return WavefrontSampler(
        unet=CfgDenoiser(parts.unet, start.ref_latent, pose_tensor([ref_pose])),  # type: ignore[arg-type]
        schedule=schedule,  # type: ignore[arg-type]
        context=start.image_embed,
        conditioning=PoseConditioning(streams, device, dtype),
        noise=start.noise,  # type: ignore[arg-type]
        frames=frames,
        settings=SamplerSettings(
            schedule.steps,
            settings.guidance_scale,
            settings.window,
            settings.overlap,
            False,
            settings.window_batch,
        ),
        on_unet=on_unet,
    )


def animate(
    parts: Parts,
    image: np.ndarray,
    ref_pose: np.ndarray,
    streams: FrameStreams,
    frames: int,
    settings: RunSettings,
    device: torch.device,
    write: Callable[[np.ndarray], None],
    progress: Progress = no_progress,
) -> RunStats:
    """Generate `frames` frames; `image` and `ref_pose` (its skeleton) are RGB uint8 at the output size."""
    for module in (parts.unet, parts.vae, parts.clip):
        module.to(device)
    schedule = UniAnimateDDIM(settings.steps)
    start = prepare(parts, image, frames, schedule, settings, device)
    if device.type != "cpu":
        parts.clip.to("cpu")  # used once
    done = [0]

    def tick(step: int, window: int, prediction: torch.Tensor) -> None:
        done[0] += 1
        progress(done[0], total)

    sampler = sampler_for(parts, schedule, start, ref_pose, streams, frames, settings, device, tick)
    total = len(sampler.windows) * schedule.steps
    pending: list[torch.Tensor] = []
    for _, latent in sampler.run():
        pending.append(latent)
        if len(pending) == settings.decode_chunk:
            write(decode_latents(parts.vae, torch.stack(pending)))
            pending = []
    if pending:
        write(decode_latents(parts.vae, torch.stack(pending)))
    return RunStats(frames, len(sampler.windows), sampler.unet_calls, sampler.max_live_frames)
