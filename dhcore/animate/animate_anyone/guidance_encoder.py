"""Champ's GuidanceEncoder: one per guidance type (depth, normal, semantic map, DWPose), summed.

Each has PoseGuider's conv stack plus spatial transformers; the release's forward pass runs only
the last one (`attentions.5`) before `conv_out`. The others (`attentions.0-4`,
`guidance_attention`) are in the checkpoint and are built so that it loads key for key, but they
never run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from diffusers.models.transformers.transformer_2d import Transformer2DModel
from torch import nn

from dhcore.animate.animate_anyone.pose_guider import conv_stack_channels

HEADS = 8


def _spatial_transformer(channels: int, groups: int) -> Transformer2DModel:
    return Transformer2DModel(
        num_attention_heads=HEADS,
        attention_head_dim=channels // HEADS,
        in_channels=channels,
        norm_num_groups=groups,
        cross_attention_dim=None,
    )


class GuidanceEncoder(nn.Module):
    def __init__(self, embedding_channels: int, block_out_channels: Sequence[int], in_channels: int = 3):
        super().__init__()
        self.conv_in = nn.Conv2d(in_channels, block_out_channels[0], kernel_size=3, padding=1)
        self.blocks = nn.ModuleList()
        self.attentions = nn.ModuleList()
        for c_in, c_out in zip(block_out_channels[:-1], block_out_channels[1:], strict=True):
            self.blocks.append(nn.Conv2d(c_in, c_in, kernel_size=3, padding=1))
            self.attentions.append(_spatial_transformer(c_in, groups=1))
            self.blocks.append(nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, stride=2))
            self.attentions.append(_spatial_transformer(c_out, groups=32))
        self.guidance_attention = _spatial_transformer(block_out_channels[-1], groups=32)
        self.conv_out = nn.Conv2d(block_out_channels[-1], embedding_channels, kernel_size=3, padding=1)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Guidance frames [N, 3, H, W] in [0, 1] -> features [N, C, H/8, W/8]."""
        x = F.silu(self.conv_in(frames))
        for conv in self.blocks:
            x = F.silu(conv(x))
        x = self.attentions[-1](x, return_dict=False)[0]
        return self.conv_out(x)


def guidance_encoder_for(
    state: Mapping[str, torch.Tensor], source: str = "guidance_encoder"
) -> GuidanceEncoder:
    c_in, widths, c_out = conv_stack_channels(state, source)
    return GuidanceEncoder(c_out, widths, in_channels=c_in)


class MultiGuidance(nn.Module):
    """The encoders of the selected types; their outputs are summed (Champ's fusion)."""

    def __init__(self, encoders: Mapping[str, GuidanceEncoder]):
        super().__init__()
        self.encoders = nn.ModuleDict(dict(encoders))

    @property
    def types(self) -> list[str]:
        return list(self.encoders)

    def forward(self, frames: Mapping[str, torch.Tensor]) -> torch.Tensor:
        total = None
        for name, encoder in self.encoders.items():
            out = encoder(frames[name])
            total = out if total is None else total + out
        assert total is not None
        return total
