"""Rectified-flow sampling of the try-on transformer: Euler steps from noise (t=0) to image (t=1),
classifier-free guidance on all conditions at once, the release's shifted schedule."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from dhcore.tryon.fashn.model import TryOnModel


def schedule(steps: int, shift: float = 1.5) -> list[float]:
    """steps + 1 times from 0 to 1, crowded towards the noisy end as `shift` grows (0: uniform)."""
    times = []
    for i in range(steps + 1):
        s = i / steps
        times.append(0.0 if s == 0 else 1.0 / (1.0 + math.exp(shift) * (1.0 / s - 1.0)))
    return times


@torch.inference_mode()
def sample(
    model: TryOnModel, conditions: dict[str, Tensor], steps: int = 30, guidance: float = 1.5, shift: float = 1.5,
    plain_last: int = 1, generator: torch.Generator | None = None,
) -> Tensor:  # fmt: skip
    """Images [B, C, H, W] in [-1, 1]. conditions: person, person_pose, garment, garment_pose,
    category (the model's inputs); the last `plain_last` steps skip guidance (no oversaturation)."""
    person = conditions["person"]
    b, c = person.shape[0], model.config
    x = torch.randn((b, c.channels, c.height, c.width), generator=generator, device=person.device,
                    dtype=person.dtype)  # fmt: skip
    doubled = {k: torch.cat([v, v]) for k, v in conditions.items()}
    keep = torch.cat([torch.ones(b, dtype=torch.bool), torch.zeros(b, dtype=torch.bool)]).to(person.device)
    times = schedule(steps, shift)
    for step, (now, nxt) in enumerate(zip(times[:-1], times[1:], strict=True)):
        t = torch.full((2 * b,), now, dtype=person.dtype, device=person.device)
        cond, uncond = model(torch.cat([x, x]), t, keep=keep, **doubled).split(b)
        velocity = cond if step >= steps - plain_last else uncond + guidance * (cond - uncond)
        x = x + (nxt - now) * velocity
    return x.float().clamp(-1.0, 1.0)
