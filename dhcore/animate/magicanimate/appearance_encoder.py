"""The appearance encoder: an SD1.5 UNet2D run on the clean reference latent at every denoising
step (at that step's timestep, with the prompt embedding) to fill the reference bank.

Only the LayerNorm-1 outputs of its mid and up transformer blocks matter. As in the release, the
compute after the last bank entry is removed (identity projections, no cross-attention, no
feed-forward, no `proj_out`, `conv_norm_out`, `conv_out`): those 24 keys are not in the
checkpoint. The output feature map is discarded.
"""

from __future__ import annotations

import torch
from diffusers import UNet2DConditionModel
from torch import nn

from dhcore.animate.animate_anyone.config import UNetConfig
from dhcore.animate.animate_anyone.reference_attention import ReferenceWriter
from dhcore.animate.magicanimate.config import FUSION_ROOTS


def build_appearance_unet(cfg: UNetConfig) -> UNet2DConditionModel:
    unet = UNet2DConditionModel(**cfg.to_diffusers())
    last = unet.up_blocks[-1].attentions[-1]
    block = last.transformer_blocks[-1]
    block.attn1.to_q = block.attn1.to_k = block.attn1.to_v = nn.Identity()
    block.attn1.to_out = nn.ModuleList([nn.Identity(), nn.Identity()])
    block.norm2 = block.norm3 = block.ff = nn.Identity()
    block.attn2 = None
    last.proj_out = nn.Identity()
    unet.conv_norm_out = None
    unet.conv_out = nn.Identity()
    return unet.eval().requires_grad_(False)


class AppearanceEncoder:
    """The appearance UNet with its bank writer: `bank(latent, t, text)` -> tokens per block."""

    def __init__(self, unet: UNet2DConditionModel):
        self.unet = unet
        self.writer = ReferenceWriter(unet, FUSION_ROOTS)

    @torch.no_grad()
    def bank(self, ref_latent: torch.Tensor, timestep: int, text: torch.Tensor) -> dict[str, torch.Tensor]:
        """ref_latent [1, 4, h, w] (VAE mean x 0.18215), text [1, 77, D] -> [1, h'w', C] per block.

        One reference row is enough: the release runs both CFG rows on the same latent and the
        same (empty) prompt, and its unconditional rows never read the bank."""
        p = next(self.unet.parameters())
        t = torch.full((ref_latent.shape[0],), int(timestep), dtype=torch.long, device=p.device)
        return self.writer.record(
            self.unet, ref_latent.to(p.device, p.dtype), t, encoder_hidden_states=text.to(p.device, p.dtype)
        )
