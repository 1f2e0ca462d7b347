"""The DensePose ControlNet: diffusers' SD1.5 ControlNetModel on DensePose renders (RGB, /255).

It is a 2-D model: every frame's residuals depend only on that frame's latent, control image and
timestep, so computing them per window gives the release's numbers (it runs chunks of 16 frames
at the start of each step) while holding only one window's residuals.
"""

from __future__ import annotations

import torch
from diffusers import ControlNetModel


@torch.no_grad()
def control_residuals(
    controlnet: ControlNetModel,
    latents: torch.Tensor,
    timestep: int,
    text: torch.Tensor,
    control: torch.Tensor,
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """latents [n, 4, h, w], text [1, 77, D] (the conditional prompt, shared by every frame),
    control [n, 3, H, W] in [0, 1] -> 12 down residuals [n, C, h', w'] and the mid one."""
    p = next(controlnet.parameters())
    n = latents.shape[0]
    t = torch.full((n,), int(timestep), dtype=torch.long, device=p.device)
    down, mid = controlnet(
        latents.to(p.device, p.dtype),
        t,
        encoder_hidden_states=text.to(p.device, p.dtype).expand(n, -1, -1),
        controlnet_cond=control.to(p.device, p.dtype),
        conditioning_scale=1.0,
        return_dict=False,
    )
    return list(down), mid
