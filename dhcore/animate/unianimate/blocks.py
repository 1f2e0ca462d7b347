"""UniAnimate's UNet blocks, with the release's key names.

Layout: every 2-D module sees `[(B*T), C, h, w]`; the temporal ones reshape to `[B, C, T, h, w]`
(T = frames + 1: the reference frame leads). The transformer blocks are diffusers'
BasicTransformerBlock (the LDM block: self-attention, cross-attention, GEGLU feed-forward).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers.models.attention import BasicTransformerBlock
from torch import nn


def to_video(x: torch.Tensor, batch: int) -> torch.Tensor:
    """[(B*T), C, h, w] -> [B, C, T, h, w]"""
    bt, c, h, w = x.shape
    return x.reshape(batch, bt // batch, c, h, w).transpose(1, 2)


def to_frames(x: torch.Tensor) -> torch.Tensor:
    """[B, C, T, h, w] -> [(B*T), C, h, w]"""
    b, c, t, h, w = x.shape
    return x.transpose(1, 2).reshape(b * t, c, h, w)


def _temporal_conv(channels: int, dropout: bool) -> nn.Sequential:
    drop = [nn.Dropout(0.1)] if dropout else []
    conv = nn.Conv3d(channels, channels, (3, 1, 1), padding=(1, 0, 0))
    return nn.Sequential(nn.GroupNorm(32, channels), nn.SiLU(), *drop, conv)


class TemporalConvBlock(nn.Module):
    """Four chained (3,1,1) convolutions over time plus the identity; GroupNorm pools all frames."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = _temporal_conv(channels, dropout=False)
        self.conv2 = _temporal_conv(channels, dropout=True)
        self.conv3 = _temporal_conv(channels, dropout=True)
        self.conv4 = _temporal_conv(channels, dropout=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv4(self.conv3(self.conv2(self.conv1(x))))


class ResBlock(nn.Module):
    """GN-SiLU-conv, + time embedding (a channel bias), GN-SiLU-conv, skip; then the temporal convs."""

    def __init__(self, channels: int, emb_dim: int, out_channels: int | None = None):
        super().__init__()
        out = out_channels or channels
        self.in_layers = nn.Sequential(
            nn.GroupNorm(32, channels), nn.SiLU(), nn.Conv2d(channels, out, 3, padding=1)
        )
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, out))
        self.out_layers = nn.Sequential(
            nn.GroupNorm(32, out), nn.SiLU(), nn.Dropout(0.1), nn.Conv2d(out, out, 3, padding=1)
        )
        self.skip_connection = nn.Identity() if out == channels else nn.Conv2d(channels, out, 1)
        self.temopral_conv = TemporalConvBlock(out)  # [sic]: the release's key name

    def forward(self, x: torch.Tensor, emb: torch.Tensor, batch: int) -> torch.Tensor:
        h = self.in_layers(x) + self.emb_layers(emb).to(x.dtype)[:, :, None, None]
        h = self.skip_connection(x) + self.out_layers(h)
        return to_frames(self.temopral_conv(to_video(h, batch)))


class SpatialTransformer(nn.Module):
    """Per frame: GN, linear in, self- + cross-attention over h*w tokens, linear out, residual."""

    def __init__(self, channels: int, heads: int, head_dim: int, context_dim: int):
        super().__init__()
        inner = heads * head_dim
        self.norm = nn.GroupNorm(32, channels, eps=1e-6)
        self.proj_in = nn.Linear(channels, inner)
        self.transformer_blocks = nn.ModuleList(
            [BasicTransformerBlock(inner, heads, head_dim, cross_attention_dim=context_dim)]
        )
        self.proj_out = nn.Linear(inner, channels)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        y = self.proj_in(self.norm(x).flatten(2).transpose(1, 2))
        y = self.transformer_blocks[0](y, encoder_hidden_states=context)
        return x + self.proj_out(y).transpose(1, 2).reshape(n, c, h, w)


class TemporalTransformer(nn.Module):
    """Per spatial position: attention over the T frames (two self-attentions, no positional
    encoding; order comes from the temporal convolutions). GN statistics pool all frames."""

    def __init__(self, channels: int, heads: int, head_dim: int):
        super().__init__()
        inner = heads * head_dim
        self.norm = nn.GroupNorm(32, channels, eps=1e-6)
        self.proj_in = nn.Conv1d(channels, inner, 1)
        self.transformer_blocks = nn.ModuleList(
            [BasicTransformerBlock(inner, heads, head_dim, double_self_attention=True)]
        )
        self.proj_out = nn.Conv1d(inner, channels, 1)

    def forward(self, x: torch.Tensor, batch: int) -> torch.Tensor:
        v = to_video(x, batch)
        b, c, t, h, w = v.shape
        y = self.norm(v).permute(0, 3, 4, 1, 2).reshape(b * h * w, c, t)
        y = self.transformer_blocks[0](self.proj_in(y).transpose(1, 2))
        y = self.proj_out(y.transpose(1, 2)).reshape(b, h, w, c, t).permute(0, 3, 4, 1, 2)
        return to_frames(v + y)


class Downsample(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.op = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Upsample(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))
