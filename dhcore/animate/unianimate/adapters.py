"""The condition embedders whose outputs are concatenated to the latent (release key names).

Pose images (and the local reference image) go through a strided conv stack down to the latent
size, then a small transformer over the frames at each latent position (`Transformer_v2`:
pre-norm attention with 2 heads of width `dim`, then an un-normed MLP, both residual).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class _Attention(nn.Module):
    def __init__(self, dim: int, heads: int = 2):
        super().__init__()
        self.heads = heads
        self.to_qkv = nn.Linear(dim, 3 * heads * dim, bias=False)
        self.to_out = nn.Sequential(nn.Linear(heads * dim, dim), nn.Dropout(0.05))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, length, _ = x.shape
        q, k, v = (
            t.reshape(n, length, self.heads, -1).transpose(1, 2) for t in self.to_qkv(x).chunk(3, dim=-1)
        )
        out = F.scaled_dot_product_attention(q, k, v)
        return self.to_out(out.transpose(1, 2).reshape(n, length, -1))


class _PreNorm(nn.Module):
    def __init__(self, dim: int, fn: nn.Module):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(self.norm(x)) + x


class _MLP(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.net = nn.Sequential(nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU()), nn.Dropout(0.05),
                                 nn.Linear(4 * dim, dim))  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class FrameTransformer(nn.Module):
    """The release's `Transformer_v2` (depth 1) over sequences [N, frames, dim]."""

    def __init__(self, dim: int):
        super().__init__()
        self.layers = nn.ModuleList([nn.ModuleList([_PreNorm(dim, _Attention(dim)), _MLP(dim)])])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        attn, mlp = self.layers[0]
        x = attn(x)
        return mlp(x) + x


class _HalfPool(nn.Module):
    """The release's AdaptiveAvgPool2d to half the configured resolution: at that input size, a
    2x2 average (computed from the input, so one model serves every output size)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(x, (x.shape[-2] // 2, x.shape[-1] // 2))


def image_stack(out_channels: int, hidden: int = 32) -> nn.Sequential:
    """RGB at the output size -> features at the latent size (/8)."""
    return nn.Sequential(
        nn.Conv2d(3, hidden, 3, padding=1), nn.SiLU(), _HalfPool(),
        nn.Conv2d(hidden, hidden, 3, stride=2, padding=1), nn.SiLU(),
        nn.Conv2d(hidden, out_channels, 3, stride=2, padding=1),
    )  # fmt: skip


def latent_stack(out_channels: int, hidden: int = 32) -> nn.Sequential:
    """The reference latent -> features at the same size."""
    return nn.Sequential(
        nn.Conv2d(4, hidden, 3, padding=1), nn.SiLU(),
        nn.Conv2d(hidden, hidden, 3, padding=1), nn.SiLU(),
        nn.Conv2d(hidden, out_channels, 3, padding=1),
    )  # fmt: skip


def embed_frames(stack: nn.Module, after: FrameTransformer, x: torch.Tensor) -> torch.Tensor:
    """[B, C, T, H, W] -> per-frame stack, then `after` over T at each position -> [B, C', T, h, w]."""
    b, _, t = x.shape[:3]
    y = stack(x.transpose(1, 2).flatten(0, 1))  # [(B*T), C', h, w]
    c, h, w = y.shape[1:]
    y = y.reshape(b, t, c, h, w).permute(0, 3, 4, 1, 2).reshape(b * h * w, t, c)
    return after(y).reshape(b, h, w, t, c).permute(0, 4, 3, 1, 2)
