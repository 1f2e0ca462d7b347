"""PoseGuider: rendered skeleton frames -> features added to the denoiser after `conv_in`.

Per-frame 2-D convolutions (the release's "InflatedConv3d" is a Conv2d applied to every
frame), /8 spatially. Key names match `pose_guider.pth`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from dhcore.errors import ModelError


class PoseGuider(nn.Module):
    def __init__(self, embedding_channels: int, block_out_channels: Sequence[int], in_channels: int = 3):
        super().__init__()
        self.conv_in = nn.Conv2d(in_channels, block_out_channels[0], kernel_size=3, padding=1)
        self.blocks = nn.ModuleList()
        for c_in, c_out in zip(block_out_channels[:-1], block_out_channels[1:], strict=True):
            self.blocks.append(nn.Conv2d(c_in, c_in, kernel_size=3, padding=1))
            self.blocks.append(nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, stride=2))
        self.conv_out = nn.Conv2d(block_out_channels[-1], embedding_channels, kernel_size=3, padding=1)

    def features(self, frames: torch.Tensor) -> torch.Tensor:
        """[N, 3, H, W] in [0, 1] -> [N, C, H/8, W/8] before the output conv."""
        x = F.silu(self.conv_in(frames))
        for conv in self.blocks:
            x = F.silu(conv(x))
        return x

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Skeleton frames [N, 3, H, W] in [0, 1] -> features [N, C, H/8, W/8]."""
        return self.conv_out(self.features(frames))


def conv_stack_channels(state: Mapping[str, torch.Tensor], source: str) -> tuple[int, list[int], int]:
    """(input channels, block widths, embedding channels) of a PoseGuider-style conv stack."""
    try:
        widths = [int(state["conv_in.weight"].shape[0])]
        i = 1
        while f"blocks.{i}.weight" in state:
            widths.append(int(state[f"blocks.{i}.weight"].shape[0]))
            i += 2
        return int(state["conv_in.weight"].shape[1]), widths, int(state["conv_out.weight"].shape[0])
    except KeyError as exc:
        raise ModelError(f"{source}: not a pose-guider checkpoint (no {exc.args[0]})") from None


def pose_guider_for(state: Mapping[str, torch.Tensor], source: str = "pose_guider") -> PoseGuider:
    """A PoseGuider whose widths fit the checkpoint (full size 16/32/96/256, tiny ones differ)."""
    c_in, widths, c_out = conv_stack_channels(state, source)
    return PoseGuider(c_out, widths, in_channels=c_in)
