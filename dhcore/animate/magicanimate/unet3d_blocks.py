"""Blocks of MagicAnimate's UNet3D on the frame-folded layout [B*F, C, h, w].

What differs from the Animate Anyone denoiser: the resnets' GroupNorms (and the final norm) run
on the 5-D tensor in the release, so their statistics are pooled over all frames of the window,
not taken per frame; the mid block has no motion module. Spatial transformers and motion
modules act per frame / per position as usual. Attribute names follow the release's keys.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers.models.downsampling import Downsample2D
from diffusers.models.transformers.transformer_2d import Transformer2DModel
from diffusers.models.upsampling import Upsample2D
from torch import nn

from dhcore.animate.animate_anyone.config import MotionConfig, UNetConfig
from dhcore.animate.animate_anyone.motion_module import MotionModule


def video_group_norm(norm: nn.GroupNorm, x: torch.Tensor, frames: int) -> torch.Tensor:
    """GroupNorm with statistics over (channels of the group, frames, h, w) per batch element."""
    n, c, h, w = x.shape
    video = x.view(n // frames, frames, c, h, w).transpose(1, 2)
    out = F.group_norm(video, norm.num_groups, norm.weight, norm.bias, norm.eps)
    return out.transpose(1, 2).reshape(n, c, h, w)


class VideoResnet(nn.Module):
    """The release's ResnetBlock3D: 2-D convs per frame, GroupNorms pooled over the window."""

    def __init__(self, c_in: int, c_out: int, temb: int, cfg: UNetConfig):
        super().__init__()
        groups, eps = cfg.norm_num_groups, cfg.norm_eps
        self.norm1 = nn.GroupNorm(groups, c_in, eps=eps)
        self.conv1 = nn.Conv2d(c_in, c_out, kernel_size=3, padding=1)
        self.time_emb_proj = nn.Linear(temb, c_out)
        self.norm2 = nn.GroupNorm(groups, c_out, eps=eps)
        self.conv2 = nn.Conv2d(c_out, c_out, kernel_size=3, padding=1)
        self.conv_shortcut = nn.Conv2d(c_in, c_out, kernel_size=1) if c_in != c_out else None

    def forward(self, x: torch.Tensor, temb: torch.Tensor, frames: int) -> torch.Tensor:
        h = self.conv1(F.silu(video_group_norm(self.norm1, x, frames)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(video_group_norm(self.norm2, h, frames)))
        return (x if self.conv_shortcut is None else self.conv_shortcut(x)) + h


def spatial_transformer(channels: int, cfg: UNetConfig) -> Transformer2DModel:
    return Transformer2DModel(
        num_attention_heads=cfg.heads,
        attention_head_dim=channels // cfg.heads,
        in_channels=channels,
        cross_attention_dim=cfg.cross_attention_dim,
        norm_num_groups=cfg.norm_num_groups,
    )


def _spatial(attn: Transformer2DModel, x: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
    return attn(x, encoder_hidden_states=text, return_dict=False)[0]


class DownBlock(nn.Module):
    def __init__(
        self, c_in: int, c_out: int, temb: int, cfg: UNetConfig, motion: MotionConfig, attention: bool, down: bool
    ):  # fmt: skip
        super().__init__()
        layers = cfg.layers_per_block
        self.resnets = nn.ModuleList(
            VideoResnet(c_in if i == 0 else c_out, c_out, temb, cfg) for i in range(layers)
        )
        self.attentions = (
            nn.ModuleList(spatial_transformer(c_out, cfg) for _ in range(layers)) if attention else None
        )
        self.motion_modules = nn.ModuleList(MotionModule(c_out, motion) for _ in range(layers))
        self.downsamplers = (
            nn.ModuleList([Downsample2D(c_out, use_conv=True, out_channels=c_out, padding=1, name="op")])
            if down
            else None
        )

    def forward(
        self, x: torch.Tensor, temb: torch.Tensor, text: torch.Tensor, frames: int
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        skips = []
        for i, (resnet, motion) in enumerate(zip(self.resnets, self.motion_modules, strict=True)):
            x = resnet(x, temb, frames)
            if self.attentions is not None:
                x = _spatial(self.attentions[i], x, text)
            x = motion(x, frames)
            skips.append(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
            skips.append(x)
        return x, skips


class MidBlock(nn.Module):
    """resnet -> transformer -> resnet; no motion module (`motion_module_mid_block: false`)."""

    def __init__(self, channels: int, temb: int, cfg: UNetConfig):
        super().__init__()
        self.resnets = nn.ModuleList(VideoResnet(channels, channels, temb, cfg) for _ in range(2))
        self.attentions = nn.ModuleList([spatial_transformer(channels, cfg)])

    def forward(self, x: torch.Tensor, temb: torch.Tensor, text: torch.Tensor, frames: int) -> torch.Tensor:
        x = self.resnets[0](x, temb, frames)
        x = _spatial(self.attentions[0], x, text)
        return self.resnets[1](x, temb, frames)


class UpBlock(nn.Module):
    def __init__(
        self, c_in: int, c_out: int, c_prev: int, temb: int, cfg: UNetConfig, motion: MotionConfig,
        attention: bool, up: bool,
    ):  # fmt: skip
        super().__init__()
        layers = cfg.layers_per_block + 1
        self.resnets = nn.ModuleList(
            VideoResnet(
                (c_prev if i == 0 else c_out) + (c_in if i == layers - 1 else c_out), c_out, temb, cfg
            )
            for i in range(layers)
        )
        self.attentions = (
            nn.ModuleList(spatial_transformer(c_out, cfg) for _ in range(layers)) if attention else None
        )
        self.motion_modules = nn.ModuleList(MotionModule(c_out, motion) for _ in range(layers))
        self.upsamplers = (
            nn.ModuleList([Upsample2D(c_out, use_conv=True, out_channels=c_out)]) if up else None
        )

    def forward(
        self, x: torch.Tensor, skips: list[torch.Tensor], temb: torch.Tensor, text: torch.Tensor, frames: int,
        size: tuple[int, int] | None,
    ) -> torch.Tensor:  # fmt: skip
        for i, (resnet, motion) in enumerate(zip(self.resnets, self.motion_modules, strict=True)):
            x = resnet(torch.cat([x, skips.pop()], dim=1), temb, frames)
            if self.attentions is not None:
                x = _spatial(self.attentions[i], x, text)
            x = motion(x, frames)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x, output_size=size)
        return x
