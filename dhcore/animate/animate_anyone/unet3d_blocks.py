"""Down, mid and up blocks of the denoising UNet3D, on the frame-folded layout [B*F, C, h, w].

Convolutions, GroupNorms and spatial transformers of the release's "3D" blocks act on every
frame separately (inflated GroupNorm: per-frame statistics), which is exactly diffusers' 2-D
blocks applied to B*F images; only the motion modules look across frames. Attribute names follow
the release so that checkpoint keys match (`resnets`, `attentions`, `motion_modules`,
`downsamplers`, `upsamplers`).
"""

from __future__ import annotations

import torch
from diffusers.models.downsampling import Downsample2D
from diffusers.models.resnet import ResnetBlock2D
from diffusers.models.transformers.transformer_2d import Transformer2DModel
from diffusers.models.upsampling import Upsample2D
from torch import nn

from dhcore.animate.animate_anyone.config import MotionConfig, UNetConfig
from dhcore.animate.animate_anyone.motion_module import MotionModule


def _resnet(c_in: int, c_out: int, temb: int, cfg: UNetConfig) -> ResnetBlock2D:
    return ResnetBlock2D(
        in_channels=c_in, out_channels=c_out, temb_channels=temb, eps=cfg.norm_eps, groups=cfg.norm_num_groups
    )


def _transformer(channels: int, cfg: UNetConfig) -> Transformer2DModel:
    return Transformer2DModel(
        num_attention_heads=cfg.heads,
        attention_head_dim=channels // cfg.heads,
        in_channels=channels,
        cross_attention_dim=cfg.cross_attention_dim,
        norm_num_groups=cfg.norm_num_groups,
    )


def _spatial(attn: Transformer2DModel, x: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
    return attn(x, encoder_hidden_states=ctx, return_dict=False)[0]


class DownBlock3D(nn.Module):
    def __init__(
        self,
        c_in: int,
        c_out: int,
        temb: int,
        cfg: UNetConfig,
        motion: MotionConfig,
        attention: bool,
        down: bool,
    ):
        super().__init__()
        layers = cfg.layers_per_block
        self.resnets = nn.ModuleList(
            [_resnet(c_in if i == 0 else c_out, c_out, temb, cfg) for i in range(layers)]
        )
        self.attentions = (
            nn.ModuleList([_transformer(c_out, cfg) for _ in range(layers)]) if attention else None
        )
        self.motion_modules = nn.ModuleList([MotionModule(c_out, motion) for _ in range(layers)])
        self.downsamplers = (
            nn.ModuleList([Downsample2D(c_out, use_conv=True, out_channels=c_out, padding=1, name="op")])
            if down
            else None
        )

    def forward(
        self, x: torch.Tensor, temb: torch.Tensor, ctx: torch.Tensor, frames: int
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        skips = []
        for i, (resnet, motion) in enumerate(zip(self.resnets, self.motion_modules, strict=True)):
            x = resnet(x, temb)
            if self.attentions is not None:
                x = _spatial(self.attentions[i], x, ctx)
            x = motion(x, frames)
            skips.append(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
            skips.append(x)
        return x, skips


class MidBlock3D(nn.Module):
    def __init__(self, channels: int, temb: int, cfg: UNetConfig, motion: MotionConfig):
        super().__init__()
        self.resnets = nn.ModuleList([_resnet(channels, channels, temb, cfg) for _ in range(2)])
        self.attentions = nn.ModuleList([_transformer(channels, cfg)])
        self.motion_modules = nn.ModuleList([MotionModule(channels, motion)])

    def forward(self, x: torch.Tensor, temb: torch.Tensor, ctx: torch.Tensor, frames: int) -> torch.Tensor:
        x = self.resnets[0](x, temb)
        x = _spatial(self.attentions[0], x, ctx)
        x = self.motion_modules[0](x, frames)
        return self.resnets[1](x, temb)


class UpBlock3D(nn.Module):
    def __init__(
        self,
        c_in: int,
        c_out: int,
        c_prev: int,
        temb: int,
        cfg: UNetConfig,
        motion: MotionConfig,
        attention: bool,
        up: bool,
    ):
        super().__init__()
        layers = cfg.layers_per_block + 1
        self.resnets = nn.ModuleList(
            [
                _resnet(
                    (c_prev if i == 0 else c_out) + (c_in if i == layers - 1 else c_out), c_out, temb, cfg
                )
                for i in range(layers)
            ]
        )
        self.attentions = (
            nn.ModuleList([_transformer(c_out, cfg) for _ in range(layers)]) if attention else None
        )
        self.motion_modules = nn.ModuleList([MotionModule(c_out, motion) for _ in range(layers)])
        self.upsamplers = (
            nn.ModuleList([Upsample2D(c_out, use_conv=True, out_channels=c_out)]) if up else None
        )

    def forward(
        self,
        x: torch.Tensor,
        skips: list[torch.Tensor],
        temb: torch.Tensor,
        ctx: torch.Tensor,
        frames: int,
        size: tuple[int, int] | None,
    ) -> torch.Tensor:
        for i, (resnet, motion) in enumerate(zip(self.resnets, self.motion_modules, strict=True)):
            x = resnet(torch.cat([x, skips.pop()], dim=1), temb)
            if self.attentions is not None:
                x = _spatial(self.attentions[i], x, ctx)
            x = motion(x, frames)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x, output_size=size)
        return x
