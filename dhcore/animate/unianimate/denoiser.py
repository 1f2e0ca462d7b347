"""What the shared wavefront sampler needs for UniAnimate: the denoiser call, the pose
conditioning read in frame order, and the initial latents with the noise prior.

The sampler (dhcore.animate.animate_anyone.sampler) batches CFG as `[uncond rows; cond rows]`
and passes per-window pose images as features; `CfgDenoiser` turns that into UniAnimate's call:
cond rows get the reference pose prepended, the reference latent and the CLIP image tokens; uncond
rows get none of them (the release's second call with every condition None).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from dhcore.animate.animate_anyone.conditioning import FrameStreams
from dhcore.animate.unianimate.scheduler import UniAnimateDDIM
from dhcore.animate.unianimate.unet import UniAnimateUNet


def pose_tensor(images: Sequence[np.ndarray] | np.ndarray) -> torch.Tensor:
    """RGB uint8 [L, H, W, 3] -> [3, L, H, W] in [0, 1] (the release's ToTensor)."""
    x = torch.from_numpy(np.ascontiguousarray(np.stack(list(images))))
    return x.permute(3, 0, 1, 2).float() / 255.0


class CfgDenoiser(nn.Module):
    """`unet(sample, t, image, poses, uncond=k)` as the wavefront sampler calls its denoiser."""

    def __init__(self, unet: UniAnimateUNet, ref_latent: torch.Tensor, ref_pose: torch.Tensor):
        super().__init__()
        self.unet = unet
        self.ref_latent = ref_latent  # [1, 4, h, w]
        self.ref_pose = ref_pose  # [3, 1, H, W]

    def forward(
        self, sample: torch.Tensor, t: torch.Tensor, image: torch.Tensor, poses: torch.Tensor, uncond: int = 0
    ) -> torch.Tensor:
        n = sample.shape[0]
        dtype = sample.dtype
        ref_pose = self.ref_pose.to(poses).expand(n, -1, -1, -1, -1)
        keep = torch.arange(n, device=sample.device) >= uncond
        return self.unet(
            sample,
            t,
            image=image.to(dtype),
            pose=torch.cat([ref_pose, poses], dim=2).to(dtype),
            ref_latent=self.ref_latent.to(sample.device, dtype).expand(n, -1, -1, -1),
            keep=keep if uncond else None,
        )


class PoseConditioning:
    """Skeleton frames as pose images [3, L, H, W], read forward only, forgotten once done."""

    def __init__(self, streams: FrameStreams, device: torch.device, dtype: torch.dtype):
        self.streams, self.device, self.dtype = streams, device, dtype

    def features(self, frames: Sequence[int]) -> torch.Tensor:
        return pose_tensor([self.streams.get(f)["pose"] for f in frames]).to(self.device, self.dtype)

    def forget(self, before: int) -> None:
        self.streams.forget(before)


class PriorNoise:
    """Initial latent of frame f: q_sample(reference latent, prior_t, noise_f) + strength * offset_f
    (the long-video script's order; `offset_f` is one value per channel and frame).

    "per_frame": noise_f and offset_f from a generator seeded by (seed, f): independent of the
    video length, nothing of size O(length) held. "reference": the release's draws from one CPU
    generator seeded with `seed` (after the VAE sample's eps): noise [1,4,F,h,w], then offset
    [1,4,F,1,1] (O(length)).
    """

    def __init__(
        self,
        ref_latent: torch.Tensor,
        schedule: UniAnimateDDIM,
        seed: int,
        frames: int,
        prior_t: int = 939,
        strength: float = 0.1,
        mode: str = "per_frame",
        generator: torch.Generator | None = None,
    ):
        self.ref = ref_latent[0].float().cpu()
        self.schedule, self.seed, self.prior_t, self.strength = schedule, seed, prior_t, strength
        self._noise: torch.Tensor | None = None
        self._offset: torch.Tensor | None = None
        if mode == "reference":
            gen = generator or torch.Generator().manual_seed(seed)
            self._noise = torch.randn((1, 4, frames, *self.ref.shape[1:]), generator=gen)[0]
            self._offset = torch.randn((1, 4, frames, 1, 1), generator=gen)[0]
        elif mode != "per_frame":
            raise ValueError(f"unknown noise mode {mode!r}")

    def draws(self, frame: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self._noise is not None and self._offset is not None:
            return self._noise[:, frame], self._offset[:, frame]
        state = np.random.SeedSequence([self.seed, frame]).generate_state(2, dtype=np.uint32)
        gen = torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))
        noise = torch.randn(self.ref.shape, generator=gen)
        return noise, torch.randn((4, 1, 1), generator=gen)

    def __call__(self, frame: int) -> torch.Tensor:
        noise, offset = self.draws(frame)
        return self.schedule.q_sample(self.ref, self.prior_t, noise) + self.strength * offset
