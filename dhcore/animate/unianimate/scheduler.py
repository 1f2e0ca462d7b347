"""UniAnimate's v-prediction DDIM (η = 0): `linear_sd` betas rescaled to zero terminal SNR.

Why not the shared diffusers-based VDDIM: the release's timestep rule differs (30 steps run 31
timesteps 991 … 1, from `1 + arange(0, 1000, 1000 // n)`), and its tables are float64 with each
coefficient cast to float32 before use; here both are reproduced exactly. The step is stateless
per call, so frames can be advanced independently (the wavefront sampler relies on that).
"""

from __future__ import annotations

import torch

TRAIN_STEPS = 1000


def alphas_cumprod(beta_start: float = 0.00085, beta_end: float = 0.012) -> torch.Tensor:
    """ᾱ_t in float64 with the zero-terminal-SNR rescale (√ᾱ shifted to 0 at the end, scaled to keep √ᾱ_0)."""
    betas = torch.linspace(beta_start**0.5, beta_end**0.5, TRAIN_STEPS, dtype=torch.float64) ** 2
    sqrt_ab = torch.cumprod(1 - betas, dim=0).sqrt()
    first, last = sqrt_ab[0].clone(), sqrt_ab[-1].clone()
    sqrt_ab = (sqrt_ab - last) * first / (first - last)
    return sqrt_ab**2


def timesteps(steps: int) -> list[int]:
    """The release's sampling timesteps, highest first."""
    stride = TRAIN_STEPS // steps
    ts = (1 + torch.arange(0, TRAIN_STEPS, stride)).clamp(0, TRAIN_STEPS - 1).flip(0)
    return [int(t) for t in ts]


class UniAnimateDDIM:
    """Same interface as the shared VDDIM: `timesteps`, `steps`, `step(v, index, x)`."""

    def __init__(self, steps: int):
        if not 1 <= steps <= TRAIN_STEPS:
            raise ValueError(f"steps must be in 1..{TRAIN_STEPS}")
        self.ab = alphas_cumprod()
        self.stride = TRAIN_STEPS // steps
        self.timesteps = timesteps(steps)
        if float(self.ab[self.timesteps[0]]) == 0.0:
            # ᾱ = 0 at t = 999 makes the ε formula infinite (the release produces NaN there)
            raise ValueError(
                f"{steps} steps start at t = 999, where the release's sampler is undefined; use another count"
            )

    @property
    def steps(self) -> int:
        return len(self.timesteps)

    def _coef(self, values: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return values.to(x.device, x.dtype)

    def x0(self, v: torch.Tensor, t: int, x: torch.Tensor) -> torch.Tensor:
        ab = self.ab[t]
        return self._coef(ab.sqrt(), x) * x - self._coef((1 - ab).sqrt(), x) * v

    def step(self, v: torch.Tensor, index: int, x: torch.Tensor) -> torch.Tensor:
        """x at timesteps[index] and its v-prediction -> x at the next step."""
        t = self.timesteps[index]
        ab = self.ab[t]
        x0 = self.x0(v, t, x)
        eps = (self._coef((1 / ab).sqrt(), x) * x - x0) / self._coef((1 / ab - 1).sqrt(), x)
        prev = self._coef(self.ab[max(t - self.stride, 0)], x)
        return prev.sqrt() * x0 + (1 - prev).sqrt() * eps

    def q_sample(self, x0: torch.Tensor, t: int, noise: torch.Tensor) -> torch.Tensor:
        ab = self.ab[t]
        return self._coef(ab.sqrt(), x0) * x0 + self._coef((1 - ab).sqrt(), x0) * noise
