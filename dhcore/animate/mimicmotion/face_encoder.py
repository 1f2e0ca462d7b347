"""StableAnimator's face encoder: an ArcFace embedding and the CLIP token -> identity tokens.

The 512-d embedding goes through an MLP to `num_tokens` tokens; a small Perceiver then refines
them by attending to the reference's CLIP token. Key names are those of `face_encoder.pth`.
"""

from __future__ import annotations

import torch
from torch import nn


def feed_forward(dim: int, mult: int = 4) -> nn.Sequential:
    return nn.Sequential(
        nn.LayerNorm(dim),
        nn.Linear(dim, dim * mult, bias=False),
        nn.GELU(),
        nn.Linear(dim * mult, dim, bias=False),
    )


class PerceiverAttention(nn.Module):
    """The latents attend to [context tokens; latents]; no biases."""

    def __init__(self, dim: int, dim_head: int = 64, heads: int = 8):
        super().__init__()
        self.dim_head, self.heads = dim_head, heads
        inner = dim_head * heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_kv = nn.Linear(dim, inner * 2, bias=False)
        self.to_out = nn.Linear(inner, dim, bias=False)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        return x.reshape(b, n, self.heads, self.dim_head).transpose(1, 2)

    def forward(self, context: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        context, latents = self.norm1(context), self.norm2(latents)
        q = self._heads(self.to_q(latents))
        k, v = (self._heads(t) for t in self.to_kv(torch.cat([context, latents], dim=1)).chunk(2, dim=-1))
        scale = self.dim_head**-0.25  # on q and k each: 1/sqrt(dim_head) overall
        weights = ((q * scale) @ (k * scale).transpose(-2, -1)).float().softmax(dim=-1).to(q.dtype)
        out = (weights @ v).transpose(1, 2).reshape(latents.shape[0], latents.shape[1], -1)
        return self.to_out(out)


class FacePerceiver(nn.Module):
    def __init__(self, dim: int, embedding_dim: int, depth: int = 4, dim_head: int = 64, ff_mult: int = 4):
        super().__init__()
        self.proj_in = nn.Linear(embedding_dim, dim)
        self.proj_out = nn.Linear(dim, dim)
        self.norm_out = nn.LayerNorm(dim)
        self.layers = nn.ModuleList(
            nn.ModuleList([PerceiverAttention(dim, dim_head, dim // dim_head), feed_forward(dim, ff_mult)])
            for _ in range(depth)
        )

    def forward(self, latents: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        context = self.proj_in(context)
        for attention, ff in self.layers:
            latents = attention(context, latents) + latents
            latents = ff(latents) + latents
        return self.norm_out(self.proj_out(latents))


class FaceEncoder(nn.Module):
    """StableAnimator's `FusionFaceId`: [B, id_dim] ArcFace + [B, 1, clip_dim] CLIP -> [B, num_tokens, dim]."""

    def __init__(self, dim: int = 1024, id_dim: int = 512, clip_dim: int = 1024, num_tokens: int = 4):
        super().__init__()
        self.dim, self.num_tokens = dim, num_tokens
        self.proj = nn.Sequential(
            nn.Linear(id_dim, id_dim * 2), nn.GELU(), nn.Linear(id_dim * 2, dim * num_tokens)
        )
        self.norm = nn.LayerNorm(dim)
        self.fusion_model = FacePerceiver(dim, clip_dim)

    def forward(
        self, id_embeds: torch.Tensor, clip_embeds: torch.Tensor, shortcut: bool = False, scale: float = 1.0
    ) -> torch.Tensor:
        tokens = self.norm(self.proj(id_embeds).reshape(-1, self.num_tokens, self.dim))
        out = self.fusion_model(tokens, clip_embeds)
        return tokens + scale * out if shortcut else out
