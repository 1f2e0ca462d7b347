"""The wavefront order computes the release's per-step loop exactly, in bounded memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dhcore.animate.animate_anyone.conditioning import FrameStreams, reference_latent
from dhcore.animate.animate_anyone.sampler import SamplerSettings
from dhcore.animate.animate_anyone.scheduler import VDDIM
from dhcore.animate.animate_anyone.windows import context_windows
from dhcore.animate.magicanimate.components import Components, load_components
from dhcore.animate.magicanimate.config import RELEASE
from dhcore.animate.magicanimate.controlnet import control_residuals
from dhcore.animate.magicanimate.sampler import AppearanceBanks, DensePoseControl, MagicSampler, TiledNoise
from dhcore.animate.magicanimate.text import empty_prompt_embedding
from dhcore.animate.magicanimate.tiny import install_tiny

H, W = 64, 64


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> Components:
    root = tmp_path_factory.mktemp("magicanimate_tiny")
    return load_components(
        install_tiny(root / "download", root / "store", seed=5), torch.float32, root / "store"
    )


def _inputs(parts: Components, frames: int) -> tuple[np.ndarray, np.ndarray, torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    control = rng.integers(0, 255, (frames, H, W, 3), dtype=np.uint8)
    text = empty_prompt_embedding(parts.text_encoder)
    return image, control, text, reference_latent(parts.vae, image)


@torch.no_grad()
def _per_step_loop(parts: Components, frames: int, settings: SamplerSettings) -> torch.Tensor:
    """The release's order: every window at every step over the whole video, then one DDIM step."""
    image, control, text, ref = _inputs(parts, frames)
    schedule = VDDIM(RELEASE, settings.steps)
    noise = TiledNoise(0, (4, H // 8, W // 8))
    latents = torch.stack([noise(f) for f in range(frames)])
    windows = context_windows(frames, settings.window, settings.overlap, settings.closed_loop)
    for step, t in enumerate(schedule.timesteps):
        parts.unet.reference.load(parts.appearance.bank(ref, t, text))
        acc, count = torch.zeros(2, *latents.shape), torch.zeros(frames)
        for frames_ in windows:
            x = latents[frames_]
            images = torch.from_numpy(control[frames_]).permute(0, 3, 1, 2).float() / 255.0
            down, mid = control_residuals(parts.controlnet, x, t, text, images)
            out = parts.unet(
                x.transpose(0, 1)[None].repeat(2, 1, 1, 1, 1), t, text.expand(2, -1, -1),
                [d.repeat(2, 1, 1, 1) for d in down], mid.repeat(2, 1, 1, 1), skip_reference_rows=len(frames_),
            )  # fmt: skip
            acc[:, frames_] += out.transpose(1, 2)
            count[frames_] += 1
        uncond, cond = acc / count[None, :, None, None, None]
        latents = schedule.step(uncond + settings.guidance_scale * (cond - uncond), step, latents)
    parts.unet.reference.clear()
    return latents


def _wavefront(
    parts: Components, frames: int, settings: SamplerSettings
) -> tuple[torch.Tensor, MagicSampler]:
    image, control, text, ref = _inputs(parts, frames)
    streams = FrameStreams({"densepose": (Path("dp"), iter(np.array_split(control, 5)))}, (W, H))
    sampler = MagicSampler(
        parts.unet, VDDIM(RELEASE, settings.steps), text, AppearanceBanks(parts.appearance, parts.unet, ref, text),
        DensePoseControl(parts.controlnet, streams, text), TiledNoise(0, (4, H // 8, W // 8)), frames, settings,
    )  # fmt: skip
    emitted = list(sampler.run())
    assert [f for f, _ in emitted] == list(range(frames))  # in order
    parts.unet.reference.clear()
    return torch.stack([latent for _, latent in emitted]), sampler


@pytest.mark.parametrize("closed_loop", [False, True])
def test_wavefront_equals_the_per_step_loop(parts: Components, closed_loop: bool) -> None:
    settings = SamplerSettings(steps=3, guidance_scale=4.0, window=8, overlap=2, closed_loop=closed_loop)
    ours, sampler = _wavefront(parts, 21, settings)
    expected = _per_step_loop(parts, 21, settings)
    assert (ours - expected).abs().max().item() < 1e-6  # same operations, another order
    assert sampler.banks.encoder_calls == 3  # one appearance-encoder pass per step, as the release


def test_open_windows_keep_few_frames_alive(parts: Components) -> None:
    settings = SamplerSettings(steps=2, guidance_scale=3.0, window=8, overlap=2)
    _, sampler = _wavefront(parts, 60, settings)
    assert len(sampler.windows) == 10
    assert (
        sampler.max_live_frames <= (settings.steps + 1) * settings.window
    )  # bounded by the schedule, not 60
    assert (
        not sampler.control.streams.frames or min(sampler.control.streams.frames) >= 60 - 2 * settings.window
    )


def test_sampler_refuses_batched_windows(parts: Components) -> None:
    image, control, text, ref = _inputs(parts, 4)
    with pytest.raises(ValueError, match="one window per UNet call"):
        MagicSampler(
            parts.unet, VDDIM(RELEASE, 2), text, AppearanceBanks(parts.appearance, parts.unet, ref, text),
            DensePoseControl(parts.controlnet, FrameStreams({}, (W, H)), text), TiledNoise(0, (4, 8, 8)), 4,
            SamplerSettings(steps=2, window_batch=2),
        )  # fmt: skip
