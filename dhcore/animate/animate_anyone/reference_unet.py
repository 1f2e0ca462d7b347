"""ReferenceNet: an SD1.5 UNet2D run once per video on the reference latent to fill the bank.

It is diffusers' UNet2DConditionModel without `conv_norm_out`/`conv_out` (the release class
deletes them and `reference_unet.pth` lacks them); its output is the last up-block feature map,
which nobody uses.
"""

from __future__ import annotations

import torch
from diffusers import UNet2DConditionModel
from torch import nn

from dhcore.animate.animate_anyone.config import UNetConfig
from dhcore.animate.animate_anyone.cross_attention import use_single_token_cross_attention
from dhcore.animate.animate_anyone.reference_attention import ReferenceWriter


def build_reference_unet(cfg: UNetConfig) -> UNet2DConditionModel:
    unet = UNet2DConditionModel(**cfg.to_diffusers())
    unet.conv_norm_out = None
    unet.conv_out = nn.Identity()
    use_single_token_cross_attention(unet)
    return unet.eval().requires_grad_(False)


class ReferenceNet:
    """The reference UNet with its bank writer: `bank(latent, context)` -> tokens per block."""

    def __init__(self, unet: UNet2DConditionModel):
        self.unet = unet
        self.writer = ReferenceWriter(unet)

    @torch.no_grad()
    def bank(self, ref_latent: torch.Tensor, context: torch.Tensor) -> dict[str, torch.Tensor]:
        """ref_latent [1, 4, h, w] (VAE mean x 0.18215), context [1, 1, D]; timestep 0."""
        p = next(self.unet.parameters())
        t = torch.zeros(ref_latent.shape[0], dtype=torch.long, device=p.device)
        return self.writer.record(
            self.unet,
            ref_latent.to(p.device, p.dtype),
            t,
            encoder_hidden_states=context.to(p.device, p.dtype),
        )
