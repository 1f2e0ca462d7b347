"""DDIM with v-prediction, zero terminal SNR and trailing spacing, configured as the releases do.

diffusers' DDIMScheduler with the releases' arguments reproduces the reference exactly,
including its previous-step rule: step t uses alpha-bar at t - 1000 // steps (not the next listed
timestep), with alpha-bar 1 below zero. Its `step` is stateless per call, so frames can be
advanced independently, in any grouping.
"""

from __future__ import annotations

from typing import Any, Protocol

import torch
from diffusers import DDIMScheduler


class SchedulerSource(Protocol):
    """A release (or MagicAnimate's epsilon-prediction settings) that knows its DDIM arguments."""

    def scheduler_kwargs(self) -> dict[str, Any]: ...


class VDDIM:
    def __init__(self, release: SchedulerSource, steps: int):
        if steps < 1:
            raise ValueError("steps must be at least 1")
        self.ddim = DDIMScheduler(**release.scheduler_kwargs())
        self.ddim.set_timesteps(steps)
        self.timesteps: list[int] = [int(t) for t in self.ddim.timesteps]

    @property
    def steps(self) -> int:
        return len(self.timesteps)

    def step(self, v: torch.Tensor, index: int, x: torch.Tensor) -> torch.Tensor:
        """x at timestep `timesteps[index]` and its prediction (v, or epsilon for MagicAnimate)
        -> x at the next step."""
        return self.ddim.step(v, self.timesteps[index], x, eta=0.0).prev_sample
