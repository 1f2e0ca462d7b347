"""Windowed Euler sampling of MimicMotion that finishes frames in order (a wavefront).

The release denoises the whole video at every step: each window runs once (uncond and cond),
predictions are fused per frame with the window weights, guided, and every frame moves one
Euler step. Frame 0 (the reference pose) sits in every window, so with the release's fusion
(`anchor="all_windows"`) frame 0 at step s+1 needs every window at step s: all frames are in
flight at once and memory grows with the length (kept to reproduce the release's numbers).

With `anchor="first_window"` frame 0 moves with the first window's prediction only. Its latent
at each step is kept (steps + 1 small tensors) for the later windows, which still see it in
their temporal layers; the other frames depend only on neighbouring windows, so windows run as
a wavefront (the deepest runnable first, as the Animate Anyone sampler does) and frames leave in
order: memory is bounded by the schedule, not by the video length. Frame 0 never reaches the
output (the release drops it too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import torch

from dhcore.animate.mimicmotion.denoiser import MimicMotionNet
from dhcore.animate.mimicmotion.pose_net import pose_pixels
from dhcore.animate.mimicmotion.schedule import KarrasEuler
from dhcore.animate.mimicmotion.windows import anchored_windows, fusion_weights

Anchor = Literal["first_window", "all_windows"]


@dataclass(frozen=True)
class SamplerSettings:
    steps: int = 25
    min_guidance: float = 2.0
    max_guidance: float = 2.0
    window: int = 16
    overlap: int = 6
    anchor: Anchor = "first_window"

    @property
    def cfg(self) -> bool:
        """Guidance at or below 1 everywhere is no guidance: the cond branch alone (no uncond call)."""
        return self.max_guidance > 1.0


class PoseSource(Protocol):
    def images(self, frames: Sequence[int]) -> np.ndarray:
        """Skeleton images of `frames` (frame 0 = the reference's own pose), uint8 [L, H, W, 3]."""
        ...

    def forget(self, before: int) -> None:
        """Frames 1 .. before - 1 will never be asked for again (frame 0 always may)."""
        ...


class TileNoise:
    """The release's initial latents: one draw of `window` frames, repeated along the video."""

    def __init__(self, tile: torch.Tensor, sigma: float):
        self.tile = tile * sigma  # [window, 4, h, w]

    def __call__(self, frame: int) -> torch.Tensor:
        return self.tile[frame % len(self.tile)]


#: on_unet(step, window index, UNet output [rows (uncond, cond | cond), L, 4, h, w])
UNetHook = Callable[[int, int, torch.Tensor], None]
#: on_update(step, frames, guided prediction [n, 4, h, w], latents in, latents out)
UpdateHook = Callable[[int, list[int], torch.Tensor, torch.Tensor, torch.Tensor], None]


class AnchoredSampler:
    def __init__(
        self,
        net: MimicMotionNet,
        schedule: KarrasEuler,
        context: torch.Tensor,
        image_latent: torch.Tensor,
        time_ids: torch.Tensor,
        poses: PoseSource,
        noise: TileNoise,
        frames: int,
        settings: SamplerSettings,
        on_unet: UNetHook | None = None,
        on_update: UpdateHook | None = None,
    ):
        if schedule.steps != settings.steps:
            raise ValueError("schedule and settings disagree on the number of steps")
        p = next(net.parameters())
        self.device, self.dtype = p.device, p.dtype
        self.net, self.schedule, self.poses, self.noise = net, schedule, poses, noise
        self.context = context.to(self.device, self.dtype).reshape(1, -1, context.shape[-1])
        self.image_latent = image_latent.to(self.device, torch.float32).reshape(
            1, -1, *image_latent.shape[-2:]
        )
        self.time_ids = time_ids.to(self.device, self.dtype).reshape(1, -1)
        self.settings, self.frames = settings, frames
        self.on_unet, self.on_update = on_unet, on_update
        self.windows = anchored_windows(frames, settings.window, settings.overlap)
        self.weights = fusion_weights(len(self.windows[0]))
        self.guidance = torch.linspace(settings.min_guidance, settings.max_guidance, frames)
        self.cover = np.zeros(frames, dtype=np.int64)
        for w in self.windows:
            self.cover[w[1:]] += 1
        self.cover[0] = len(self.windows) if settings.anchor == "all_windows" else 1
        self.win_step = [0] * len(self.windows)
        self.frame_step: dict[int, int] = {}
        self.latents: dict[int, torch.Tensor] = {}
        self.anchor: dict[int, torch.Tensor] = {0: self.noise(0).to(self.device, torch.float32)}
        self.acc: dict[int, torch.Tensor] = {}
        self.wsum: dict[int, float] = {}
        self.count: dict[int, int] = {}
        self.unet_calls = 0
        self.max_live_frames = 0

    def _contributes(self, w: int, f: int) -> bool:
        return f != 0 or w == 0 or self.settings.anchor == "all_windows"

    # -- scheduling ---------------------------------------------------------------------------
    def _runnable(self, w: int) -> bool:
        s = self.win_step[w]
        return (
            s < self.settings.steps
            and s in self.anchor
            and all(self.frame_step.get(f, 0) == s for f in self.windows[w][1:])
        )

    def _pick(self, active: list[int], next_new: int) -> int | None:
        ready = sorted((w for w in active if self._runnable(w)), key=lambda w: (-self.win_step[w], w))
        if ready:
            return ready[0]
        if next_new < len(self.windows):
            active.append(next_new)
            return next_new
        return None

    # -- one window ---------------------------------------------------------------------------
    def _latent(self, f: int, step: int) -> torch.Tensor:
        if f == 0:
            return self.anchor[step]
        if f not in self.latents:
            self.latents[f] = self.noise(f).to(self.device, torch.float32)
            self.frame_step[f] = 0
        return self.latents[f]

    @torch.no_grad()
    def _run(self, w: int) -> None:
        frames, step = self.windows[w], self.win_step[w]
        x = torch.stack([self._latent(f, step) for f in frames])  # [L, 4, h, w]
        scaled = self.schedule.scale_input(x, step)
        image = self.image_latent.expand(len(frames), -1, -1, -1)
        cond = torch.cat([scaled, image], dim=1)[None]
        images = torch.from_numpy(np.ascontiguousarray(self.poses.images(frames))).permute(0, 3, 1, 2)
        pose = self.net.pose_net(pose_pixels(images.to(self.device)).to(self.dtype))
        t = self.schedule.timesteps[step].to(self.device)
        if self.settings.cfg:
            uncond = torch.cat([scaled, torch.zeros_like(image)], dim=1)[None]
            sample = torch.cat([uncond, cond])
            context = torch.cat([torch.zeros_like(self.context), self.context])
            pose = torch.cat([torch.zeros_like(pose), pose])
        else:
            sample, context = cond, self.context
        rows = len(sample)
        out = self.net(sample.to(self.dtype), t, context, self.time_ids.expand(rows, -1), pose).float()
        self.unet_calls += 1
        if self.on_unet:
            self.on_unet(step, w, out)
        finished = []
        for j, f in enumerate(frames):
            if not self._contributes(w, f):
                continue
            weighted = out[:, j] * self.weights[j]
            self.acc[f] = self.acc[f] + weighted if f in self.acc else weighted
            self.wsum[f] = self.wsum.get(f, 0.0) + self.weights[j]
            self.count[f] = self.count.get(f, 0) + 1
            if self.count[f] == self.cover[f]:
                finished.append(f)
        self.win_step[w] += 1
        if finished:
            self._advance(step, finished)

    def _advance(self, step: int, frames: list[int]) -> None:
        """Fuse the window predictions of `frames` for `step`, guide, and move them one step."""
        fused = torch.stack([self.acc.pop(f) / self.wsum.pop(f) for f in frames])  # [n, rows, 4, h, w]
        if self.settings.cfg:
            g = self.guidance[frames].to(self.device)[:, None, None, None]
            uncond, cond = fused.unbind(1)
            guided = uncond + g * (cond - uncond)
        else:
            guided = fused[:, 0]
        x = torch.stack([self._latent(f, step) for f in frames])
        x_next = self.schedule.step(guided, step, x)
        if self.on_update:
            self.on_update(step, frames, guided, x, x_next)
        for i, f in enumerate(frames):
            del self.count[f]
            if f == 0:
                self.anchor[step + 1] = x_next[i]
            else:
                self.latents[f] = x_next[i]
                self.frame_step[f] = step + 1
        for s in [s for s in self.anchor if s < min(self.win_step)]:
            del self.anchor[s]

    # -- driver -------------------------------------------------------------------------------
    def run(self) -> Iterator[tuple[int, torch.Tensor]]:
        """Yield (frame index, final latent [4, h, w]) in frame order, as soon as each is final."""
        steps = self.settings.steps
        active: list[int] = []
        next_new, emit = 0, 0
        while emit < self.frames:
            w = self._pick(active, next_new)
            if w is None:
                raise RuntimeError("anchored sampler is stuck (no runnable window)")
            next_new = max(next_new, w + 1)
            self._run(w)
            active[:] = [a for a in active if self.win_step[a] < steps]
            self.max_live_frames = max(self.max_live_frames, len(self.latents) + len(self.anchor))
            while emit < self.frames:
                if emit == 0 and steps in self.anchor:
                    latent = self.anchor.pop(steps)
                elif emit > 0 and self.frame_step.get(emit) == steps:
                    latent = self.latents.pop(emit)
                    del self.frame_step[emit]
                else:
                    break
                yield emit, latent
                emit += 1
                self.poses.forget(emit)
