"""MagicAnimate's sliding-window DDIM on the Animate Anyone wavefront sampler.

The release denoises every window at every step over the whole video. The wavefront (see
`dhcore.animate.animate_anyone.sampler`) computes the same numbers in an order that finishes
frames one after another, in memory bounded by the schedule; two things differ per UNet call:

* the reference bank depends on the step (the appearance encoder runs at the step's timestep):
  banks are computed once per step, kept as float16 tokens (the release rounds them to float16
  anyway) and loaded into the reader when the step changes;
* ControlNet residuals depend on the frames' current latents: they are computed for the window's
  frames right before its UNet call, never for the whole video. Frames shared by two windows are
  run twice (same numbers); the release runs every frame once per step but holds all of them.

Reference rows: with CFG the unconditional half ignores the bank, as in the release. Without
CFG the release (its masking assumes CFG) also skips the bank for the first half of each
window's frames; `release_nocfg_mask` reproduces that, otherwise every frame reads the bank.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from diffusers import ControlNetModel

from dhcore.animate.animate_anyone.conditioning import FrameStreams
from dhcore.animate.animate_anyone.sampler import SamplerSettings, UNetHook, UpdateHook, WavefrontSampler
from dhcore.animate.animate_anyone.scheduler import VDDIM
from dhcore.animate.magicanimate.appearance_encoder import AppearanceEncoder
from dhcore.animate.magicanimate.controlnet import control_residuals
from dhcore.animate.magicanimate.unet3d import MagicUNet3D


class TiledNoise:
    """The release's initial latents: one draw of `period` frames from a CPU generator seeded
    with `seed`, repeated along the video (frame f gets draw f mod period). O(period) memory."""

    def __init__(self, seed: int, shape: tuple[int, int, int], period: int = 16):
        gen = torch.Generator().manual_seed(seed)
        self.period = period
        self.draw = torch.randn((1, shape[0], period, *shape[1:]), generator=gen)[0]

    def __call__(self, frame: int) -> torch.Tensor:
        return self.draw[:, frame % self.period]


class AppearanceBanks:
    """The appearance encoder's bank per step, computed on first use and loaded into the UNet's
    reader whenever the step of the next UNet call differs from the loaded one."""

    def __init__(
        self, encoder: AppearanceEncoder, unet: MagicUNet3D, ref_latent: torch.Tensor, text: torch.Tensor
    ):
        self.encoder, self.unet, self.ref_latent, self.text = encoder, unet, ref_latent, text
        self.banks: dict[int, dict[str, torch.Tensor]] = {}
        self.loaded: int | None = None
        self.encoder_calls = 0

    def use(self, step: int, timestep: int) -> None:
        if step not in self.banks:
            bank = self.encoder.bank(self.ref_latent, timestep, self.text)
            self.banks[step] = {k: v.to(torch.float16) for k, v in bank.items()}
            self.encoder_calls += 1
        if self.loaded != step:
            self.unet.reference.load(self.banks[step])
            self.loaded = step


class DensePoseControl:
    """ControlNet residuals of any frames at their current latents; DensePose frames are read in
    order from the stream and forgotten once no window needs them (the wavefront calls `forget`)."""

    def __init__(self, controlnet: ControlNetModel, streams: FrameStreams, text: torch.Tensor):
        self.controlnet, self.streams, self.text = controlnet, streams, text
        self.calls = 0

    def images(self, frames: Sequence[int]) -> torch.Tensor:
        x = torch.from_numpy(np.stack([self.streams.get(f)["densepose"] for f in frames]))
        return x.permute(0, 3, 1, 2).float() / 255.0

    def residuals(
        self, frames: Sequence[int], latents: torch.Tensor, timestep: int
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        self.calls += 1
        return control_residuals(self.controlnet, latents, timestep, self.text, self.images(frames))

    def forget(self, before: int) -> None:
        self.streams.forget(before)


class MagicSampler(WavefrontSampler):
    """One window per UNet call (the release's context_batch_size 1), CFG rows [uncond, cond]."""

    def __init__(
        self,
        unet: MagicUNet3D,
        schedule: VDDIM,
        text: torch.Tensor,
        banks: AppearanceBanks,
        control: DensePoseControl,
        noise: TiledNoise,
        frames: int,
        settings: SamplerSettings,
        release_nocfg_mask: bool = False,
        on_unet: UNetHook | None = None,
        on_update: UpdateHook | None = None,
    ):
        if settings.window_batch != 1:
            raise ValueError("MagicAnimate denoises one window per UNet call (window_batch 1)")
        super().__init__(unet, schedule, text, control, noise, frames, settings, on_unet, on_update)  # type: ignore[arg-type]
        self.text = text.to(self.device, self.dtype)
        self.banks, self.control, self.release_nocfg_mask = banks, control, release_nocfg_mask

    @torch.no_grad()
    def _run(self, batch: list[int]) -> None:
        (w,) = batch
        step, frames = self.win_step[w], self.windows[w]
        t = self.schedule.timesteps[step]
        x = torch.stack([self._latent(f) for f in frames])  # [L, 4, h, w]
        self.banks.use(step, t)
        down, mid = self.control.residuals(frames, x, t)
        rows = 2 if self.settings.cfg else 1
        if self.settings.cfg:
            skip = len(frames)
        else:
            skip = len(frames) // 2 if self.release_nocfg_mask else 0
        sample = x.transpose(0, 1)[None].repeat(rows, 1, 1, 1, 1).to(self.dtype)
        out = self.unet(
            sample,
            t,
            self.text.expand(rows, -1, -1),
            [d.repeat(rows, 1, 1, 1) for d in down],
            mid.repeat(rows, 1, 1, 1),
            skip_reference_rows=skip,
        ).float()
        self.unet_calls += 1
        if self.on_unet:
            self.on_unet(step, w, out)
        finished = []
        for j, f in enumerate(frames):
            self.acc[f] = self.acc[f] + out[:, :, j] if f in self.acc else out[:, :, j].clone()
            self.count[f] = self.count.get(f, 0) + 1
            if self.count[f] == self.cover[f]:
                finished.append(f)
        self.win_step[w] += 1
        if finished:
            self._advance(step, finished)
