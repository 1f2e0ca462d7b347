"""Euler sampling with Karras sigmas and v-prediction, configured by SVD's scheduler_config.json.

diffusers' EulerDiscreteScheduler gives the sigmas and the continuous timesteps (0.25 ln sigma);
its `step` keeps a step counter, so the update itself is written here as a pure function of the
step index: frames can then be advanced in any order and grouping (windowed sampling).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from diffusers import EulerDiscreteScheduler

from dhcore.errors import ModelError


class KarrasEuler:
    def __init__(self, config: Mapping, steps: int):
        if steps < 1:
            raise ValueError("steps must be at least 1")
        scheduler = EulerDiscreteScheduler.from_config(dict(config))
        if scheduler.config.prediction_type != "v_prediction":
            raise ModelError(
                f"scheduler config: prediction_type {scheduler.config.prediction_type!r}, MimicMotion "
                "predicts v (v_prediction)"
            )
        scheduler.set_timesteps(steps)
        self.sigmas: torch.Tensor = scheduler.sigmas.float()  # steps + 1 values, the last is 0
        self.timesteps: torch.Tensor = scheduler.timesteps.float()
        self.init_sigma = float(scheduler.init_noise_sigma)

    @property
    def steps(self) -> int:
        return len(self.timesteps)

    def scale_input(self, x: torch.Tensor, index: int) -> torch.Tensor:
        return x / (self.sigmas[index] ** 2 + 1) ** 0.5

    def step(self, v: torch.Tensor, index: int, x: torch.Tensor) -> torch.Tensor:
        """x at sigma[index] and its v-prediction -> x at sigma[index + 1] (Euler, no churn)."""
        sigma, sigma_next = self.sigmas[index], self.sigmas[index + 1]
        x0 = v * (-sigma / (sigma**2 + 1) ** 0.5) + x / (sigma**2 + 1)
        return x + (x - x0) / sigma * (sigma_next - sigma)
