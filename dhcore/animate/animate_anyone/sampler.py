"""Windowed DDIM sampling that finishes frames in order, in memory bounded by the schedule.

The releases denoise the whole latent video at every step: each step runs every context window
once, merges the window predictions per frame (mean over covering windows, then CFG) and moves
every frame one DDIM step. With the same windows at every step, a frame's final latent depends
on frames up to `steps` windows away, so it is known only once the last step has run around it.

This sampler computes exactly the same numbers in a different order (a wavefront). Window w may
run step s as soon as every frame it covers has been moved to step s, i.e. once its
neighbouring windows have run step s - 1. Picking the deepest runnable window first makes the
steps trail each other by about one window: at any moment only ~`steps` windows are in flight,
frames leave in order as soon as their last covering window has run its last step, and memory
is bounded by the schedule (steps x window stride frames of latents), not by the video length.
The trade-off: a frame's latency is about `steps` windows of work, and for short videos (fewer
than `steps` windows) the whole video is in flight anyway. With `closed_loop` the first frames
also depend on the last window, so nothing leaves before the end (memory grows with length).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from dhcore.animate.animate_anyone.scheduler import VDDIM
from dhcore.animate.animate_anyone.unet3d import DenoisingUNet3D
from dhcore.animate.animate_anyone.windows import context_windows


@dataclass(frozen=True)
class SamplerSettings:
    steps: int = 30
    guidance_scale: float = 3.5
    window: int = 24
    overlap: int = 4
    closed_loop: bool = False
    #: windows denoised together in one UNet call (they may be at different steps)
    window_batch: int = 1
    #: the releases sum (do not average) overlapping predictions when guidance is off; kept
    #: only to reproduce their numbers, never used by the backends
    sum_without_cfg: bool = False

    @property
    def cfg(self) -> bool:
        return self.guidance_scale > 1.0


class Conditioning(Protocol):
    """Per-frame conditioning features (pose guider or Champ guidance), read in frame order."""

    def features(self, frames: Sequence[int]) -> torch.Tensor:
        """[C, len(frames), h, w] on the compute device, in the model dtype."""
        ...

    def forget(self, before: int) -> None:
        """Frames with index < before will never be asked for again."""
        ...


class FrameNoise:
    """Initial latent noise, one frame at a time.

    "per_frame": frame f gets its own generator seeded from (seed, f): the noise of a frame does
    not depend on the video length, and nothing of size O(length) is held.
    "reference": one draw of [1, 4, F, h, w] from a CPU generator seeded with `seed`, as the
    Moore/MusePose scripts do (torch.manual_seed), to reproduce their initial latents (O(F)).
    """

    def __init__(self, seed: int, frames: int, shape: tuple[int, int, int], mode: str = "per_frame"):
        self.seed, self.shape, self.mode = seed, shape, mode
        self._all: torch.Tensor | None = None
        if mode == "reference":
            gen = torch.Generator().manual_seed(seed)
            self._all = torch.randn((1, shape[0], frames, *shape[1:]), generator=gen)[0]
        elif mode != "per_frame":
            raise ValueError(f"unknown noise mode {mode!r}")

    def __call__(self, frame: int) -> torch.Tensor:
        if self._all is not None:
            return self._all[:, frame]
        state = np.random.SeedSequence([self.seed, frame]).generate_state(2, dtype=np.uint32)
        gen = torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))
        return torch.randn(self.shape, generator=gen)


#: on_unet(step, window_index, raw UNet output [B, 4, L, h, w]) – for tracing and tests
UNetHook = Callable[[int, int, torch.Tensor], None]
#: on_update(step, frames, guided prediction [n, 4, h, w], latents in, latents out)
UpdateHook = Callable[[int, list[int], torch.Tensor, torch.Tensor, torch.Tensor], None]


class WavefrontSampler:
    def __init__(
        self,
        unet: DenoisingUNet3D,
        schedule: VDDIM,
        context: torch.Tensor,
        conditioning: Conditioning,
        noise: FrameNoise,
        frames: int,
        settings: SamplerSettings,
        on_unet: UNetHook | None = None,
        on_update: UpdateHook | None = None,
    ):
        if schedule.steps != settings.steps:
            raise ValueError("schedule and settings disagree on the number of steps")
        p = next(unet.parameters())
        self.device, self.dtype = p.device, p.dtype
        self.unet, self.schedule, self.cond, self.noise = unet, schedule, conditioning, noise
        self.context = context.to(self.device, self.dtype).reshape(1, 1, -1)
        self.settings, self.frames = settings, frames
        self.on_unet, self.on_update = on_unet, on_update
        self.windows = context_windows(frames, settings.window, settings.overlap, settings.closed_loop)
        self.cover = np.zeros(frames, dtype=np.int64)
        for w in self.windows:
            self.cover[w] += 1
        self.win_step = [0] * len(self.windows)
        self.frame_step: dict[int, int] = {}
        self.latents: dict[int, torch.Tensor] = {}
        self.acc: dict[int, torch.Tensor] = {}
        self.count: dict[int, int] = {}
        self.unet_calls = 0
        self.max_live_frames = 0

    # -- scheduling ---------------------------------------------------------------------------
    def _runnable(self, w: int) -> bool:
        s = self.win_step[w]
        return s < self.settings.steps and all(self.frame_step.get(f, 0) == s for f in self.windows[w])

    def _pick(self, active: list[int], next_new: int) -> list[int]:
        k = self.settings.window_batch
        ready = sorted((w for w in active if self._runnable(w)), key=lambda w: (-self.win_step[w], w))[:k]
        room = self.settings.steps + k
        while next_new < len(self.windows) and len(ready) < k and (not ready or len(active) < room):
            ready.append(next_new)
            active.append(next_new)
            next_new += 1
        return ready

    # -- one UNet call ------------------------------------------------------------------------
    def _latent(self, f: int) -> torch.Tensor:
        if f not in self.latents:
            self.latents[f] = self.noise(f).to(self.device, torch.float32)
            self.frame_step[f] = 0
        return self.latents[f]

    @torch.no_grad()
    def _run(self, batch: list[int]) -> None:
        k, cfg = len(batch), self.settings.cfg
        sample = torch.stack([torch.stack([self._latent(f) for f in self.windows[w]], dim=1) for w in batch])
        feats = torch.stack([self.cond.features(self.windows[w]) for w in batch])
        t = torch.tensor([self.schedule.timesteps[self.win_step[w]] for w in batch], device=self.device)
        ctx = self.context.expand(k, -1, -1)
        if cfg:
            sample, feats, t = sample.repeat(2, 1, 1, 1, 1), feats.repeat(2, 1, 1, 1, 1), t.repeat(2)
            ctx = torch.cat([torch.zeros_like(ctx), ctx])
        out = self.unet(sample.to(self.dtype), t, ctx, feats, uncond=k if cfg else 0).float()
        self.unet_calls += 1
        finished: dict[int, list[int]] = {}
        for i, w in enumerate(batch):
            step = self.win_step[w]
            pred = out[[i, k + i]] if cfg else out[[i]]
            if self.on_unet:
                self.on_unet(step, w, pred)
            for j, f in enumerate(self.windows[w]):
                self.acc[f] = self.acc[f] + pred[:, :, j] if f in self.acc else pred[:, :, j].clone()
                self.count[f] = self.count.get(f, 0) + 1
                if self.count[f] == self.cover[f]:
                    finished.setdefault(step, []).append(f)
            self.win_step[w] += 1
        for step, frames in finished.items():
            self._advance(step, frames)

    def _advance(self, step: int, frames: list[int]) -> None:
        """Merge the window predictions of `frames` for `step` and move them one DDIM step."""
        acc = torch.stack([self.acc.pop(f) for f in frames])  # [n, 1 or 2, 4, h, w]
        n = torch.as_tensor(self.cover[frames], device=self.device, dtype=torch.float32)[:, None, None, None]
        if self.settings.cfg:
            uncond, cond = (acc / n[:, None]).unbind(1)
            guided = uncond + self.settings.guidance_scale * (cond - uncond)
        else:
            guided = acc[:, 0] if self.settings.sum_without_cfg else acc[:, 0] / n
        x = torch.stack([self.latents[f] for f in frames])
        x_next = self.schedule.step(guided, step, x)
        if self.on_update:
            self.on_update(step, frames, guided, x, x_next)
        for i, f in enumerate(frames):
            self.latents[f] = x_next[i]
            self.frame_step[f] = step + 1
            del self.count[f]

    # -- driver -------------------------------------------------------------------------------
    def run(self) -> Iterator[tuple[int, torch.Tensor]]:
        """Yield (frame index, final latent [4, h, w]) in frame order, as soon as each is final."""
        steps = self.settings.steps
        active: list[int] = []
        next_new, emit = 0, 0
        while emit < self.frames:
            batch = self._pick(active, next_new)
            next_new = max(next_new, max(batch) + 1) if batch else next_new
            if not batch:
                raise RuntimeError("wavefront sampler is stuck (no runnable window)")
            self._run(batch)
            active[:] = [w for w in active if self.win_step[w] < steps]
            self.max_live_frames = max(self.max_live_frames, len(self.latents))
            while emit < self.frames and self.frame_step.get(emit, 0) == steps:
                yield emit, self.latents.pop(emit)
                del self.frame_step[emit]
                emit += 1
                self.cond.forget(emit)
