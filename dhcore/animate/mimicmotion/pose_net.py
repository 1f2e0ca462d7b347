"""MimicMotion's pose network: skeleton images -> features added to the UNet after `conv_in`.

Plain strided convolutions down to the latent size (/8), a 1x1 projection to the UNet's first
width and one learned output scale. Key names are those of the release file (`pose_net.*`).
"""

from __future__ import annotations

import torch
from torch import nn

#: (out channels, kernel, stride) of the eight convolutions; every one is followed by SiLU
LAYERS = ((3, 3, 1), (16, 4, 2), (16, 3, 1), (32, 4, 2), (32, 3, 1), (64, 4, 2), (64, 3, 1), (128, 3, 1))


class PoseNet(nn.Module):
    def __init__(self, out_channels: int = 320):
        super().__init__()
        self.scale = nn.Parameter(torch.full((1,), 2.0))  # registered first: the release's key order
        layers: list[nn.Module] = []
        c = 3
        for width, kernel, stride in LAYERS:
            layers += [nn.Conv2d(c, width, kernel, stride, 1), nn.SiLU()]
            c = width
        self.conv_layers = nn.Sequential(*layers)
        self.final_proj = nn.Conv2d(c, out_channels, 1)

    def forward(self, pose: torch.Tensor) -> torch.Tensor:
        """pose [N, 3, H, W] in [-1, 1] -> [N, out_channels, H/8, W/8]."""
        return self.final_proj(self.conv_layers(pose)) * self.scale


def pose_pixels(images: torch.Tensor) -> torch.Tensor:
    """uint8 [N, 3, H, W] skeleton images -> the network input in [-1, 1] (the release's scaling)."""
    return images.float() / 127.5 - 1.0
