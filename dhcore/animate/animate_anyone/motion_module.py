"""AnimateDiff v2 motion module: temporal self-attention over the frames of one window.

Works on the frame-folded layout [B*F, C, h, w] used by the whole denoiser; each spatial
position of each batch element is a sequence over its F frames. Key names match
`motion_module.pth` (`temporal_transformer.…`, `attention_blocks.{0,1}.pos_encoder.pe`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from diffusers.models.attention import FeedForward
from torch import nn

from dhcore.animate.animate_anyone.config import MotionConfig


def sinusoid_table(dim: int, max_len: int) -> torch.Tensor:
    """[1, max_len, dim]: sin at even, cos at odd channels of p * 10000^(-2i/dim)."""
    position = torch.arange(max_len, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(1, max_len, dim)
    table[0, :, 0::2] = torch.sin(position * freq)
    table[0, :, 1::2] = torch.cos(position * freq)
    return table


class PositionalEncoding(nn.Module):
    def __init__(self, dim: int, max_len: int):
        super().__init__()
        self.register_buffer("pe", sinusoid_table(dim, max_len))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        frames = x.shape[1]
        if frames > self.pe.shape[1]:
            raise ValueError(
                f"a window of {frames} frames is longer than the motion modules accept "
                f"({self.pe.shape[1]}); lower the window setting"
            )
        return x + self.pe[:, :frames].to(x.dtype)


class TemporalSelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int, max_len: int):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(dim, dim, bias=False)
        self.to_v = nn.Linear(dim, dim, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(dim, dim), nn.Dropout(0.0)])
        self.pos_encoder = PositionalEncoding(dim, max_len)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [S, F, C] (S sequences of F frames)."""
        x = self.pos_encoder(x)
        s, f, c = x.shape
        q, k, v = (proj(x).view(s, f, self.heads, c // self.heads).transpose(1, 2) for proj in self.qkv)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.to_out[0](out.transpose(1, 2).reshape(s, f, c))

    @property
    def qkv(self) -> tuple[nn.Linear, nn.Linear, nn.Linear]:
        return self.to_q, self.to_k, self.to_v


class TemporalTransformerBlock(nn.Module):
    def __init__(self, dim: int, heads: int, max_len: int):
        super().__init__()
        self.attention_blocks = nn.ModuleList([TemporalSelfAttention(dim, heads, max_len) for _ in range(2)])
        self.norms = nn.ModuleList([nn.LayerNorm(dim) for _ in range(2)])
        self.ff = FeedForward(dim, activation_fn="geglu")
        self.ff_norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, frames: int) -> torch.Tensor:
        """x: [B*F, L, C] -> same; attention runs along F for every (batch, position)."""
        n, tokens, c = x.shape
        b = n // frames
        # [(b f) l c] -> [(b l) f c]
        x = x.view(b, frames, tokens, c).transpose(1, 2).reshape(b * tokens, frames, c)
        for attention, norm in zip(self.attention_blocks, self.norms, strict=True):
            x = attention(norm(x)) + x
        x = self.ff(self.ff_norm(x)) + x
        return x.view(b, tokens, frames, c).transpose(1, 2).reshape(n, tokens, c)


class TemporalTransformer(nn.Module):
    def __init__(self, dim: int, cfg: MotionConfig):
        super().__init__()
        self.norm = nn.GroupNorm(cfg.groups, dim, eps=1e-6)
        self.proj_in = nn.Linear(dim, dim)
        self.transformer_blocks = nn.ModuleList([TemporalTransformerBlock(dim, cfg.heads, cfg.max_len)])
        self.proj_out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, frames: int) -> torch.Tensor:
        n, c, h, w = x.shape
        hidden = self.norm(x).permute(0, 2, 3, 1).reshape(n, h * w, c)
        hidden = self.proj_in(hidden)
        for block in self.transformer_blocks:
            hidden = block(hidden, frames)
        hidden = self.proj_out(hidden)
        # contiguous NCHW: a channels-last result would send the next GroupNorms down another
        # kernel, which loses precision on the 1-channel groups of the tiny config
        return hidden.reshape(n, h, w, c).permute(0, 3, 1, 2).contiguous() + x


class MotionModule(nn.Module):
    def __init__(self, dim: int, cfg: MotionConfig):
        super().__init__()
        self.temporal_transformer = TemporalTransformer(dim, cfg)

    def forward(self, x: torch.Tensor, frames: int) -> torch.Tensor:
        """x: [B*F, C, h, w] (frames of one batch element contiguous) -> same shape."""
        return self.temporal_transformer(x, frames)
