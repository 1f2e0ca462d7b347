"""FASHN VTON v1.5's try-on transformer, written here on plain torch (the release is Apache-2.0).

A pixel-space MMDiT trained with rectified flow: the noisy person image, the clothing-agnostic
person image and the person's pose image (stacked, 7 channels) and the garment image with its pose
image (4 channels) are cut into 12x12 patches; a few single-stream blocks mix the person's patches,
double-stream blocks attend person and garment tokens jointly (each stream its own weights), and
single-stream blocks finish on the joined sequence. Time and the garment category (tops, bottoms,
one-pieces; 0 is "none", the dropped condition) modulate every block. Positions are 3-axis rotary
embeddings (an unused axis, row, column); person and garment share the grid, so they share
positions. Parameter names and shapes follow the release's state dict (see `release_layout` in the
tests), so its `model.safetensors` loads as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass(frozen=True)
class Config:
    """The release's configuration by default (about 970 M parameters)."""

    height: int = 864
    width: int = 576
    hidden: int = 1280
    heads: int = 10
    double_blocks: int = 8
    single_blocks: int = 16
    mixer_blocks: int = 4
    mlp_ratio: int = 4
    channels: int = 3
    patch: int = 12
    theta: int = 10_000
    axes: tuple[int, ...] = (16, 56, 56)
    categories: int = 3

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @property
    def grid(self) -> tuple[int, int]:
        return self.height // self.patch, self.width // self.patch


#: the category ids of the release (0: no category, the dropped condition)
CATEGORIES = {"top": 1, "bottom": 2, "one_piece": 3}


def timestep_features(t: Tensor, dim: int = 256) -> Tensor:
    """Sinusoidal features of t in [0, 1] (scaled by 1000): cosines, then sines."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    angles = 1000.0 * t.float()[:, None] * freqs[None]
    return torch.cat([angles.cos(), angles.sin()], dim=-1).to(
        t.dtype if t.is_floating_point() else torch.float32
    )


def rotary_angles(ids: Tensor, axes: tuple[int, ...], theta: int) -> Tensor:
    """[B, L, head_dim / 2] rotation angles: each position axis gets its share of the pairs."""
    parts = []
    for axis, dim in enumerate(axes):
        omega = theta ** -(torch.arange(0, dim, 2, dtype=torch.float64, device=ids.device) / dim)
        parts.append(ids[..., axis].double()[..., None] * omega)
    return torch.cat(parts, dim=-1).float()


def rotate(x: Tensor, angles: Tensor) -> Tensor:
    """Rotate the interleaved pairs (x[2i], x[2i+1]) of x [B, heads, L, D] by angles [B, L, D/2]."""
    cos, sin = angles.cos()[:, None], angles.sin()[:, None]
    pairs = x.float().reshape(*x.shape[:-1], -1, 2)
    even, odd = pairs[..., 0], pairs[..., 1]
    out = torch.stack([cos * even - sin * odd, sin * even + cos * odd], dim=-1)
    return out.reshape(x.shape).type_as(x)


def attend(q: Tensor, k: Tensor, v: Tensor, angles: Tensor) -> Tensor:
    """Rotary attention; [B, heads, L, D] in, [B, L, heads * D] out."""
    out = F.scaled_dot_product_attention(rotate(q, angles), rotate(k, angles), v)
    return out.transpose(1, 2).flatten(2)


def split_heads(qkv: Tensor, heads: int) -> tuple[Tensor, Tensor, Tensor]:
    b, length, _ = qkv.shape
    q, k, v = qkv.view(b, length, 3, heads, -1).permute(2, 0, 3, 1, 4)
    return q, k, v


class RMSNorm(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(dim))

    def forward(self, x: Tensor) -> Tensor:
        normed = x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + 1e-6)
        return normed.to(x.dtype) * self.scale


class QKNorm(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.query_norm, self.key_norm = RMSNorm(dim), RMSNorm(dim)

    def forward(self, q: Tensor, k: Tensor, like: Tensor) -> tuple[Tensor, Tensor]:
        return self.query_norm(q).to(like), self.key_norm(k).to(like)


class Attention(nn.Module):
    """The projections of one stream (its qkv, per-head q/k norms and output projection)."""

    def __init__(self, hidden: int, heads: int) -> None:
        super().__init__()
        self.qkv = nn.Linear(hidden, 3 * hidden, bias=True)
        self.norm = QKNorm(hidden // heads)
        self.proj = nn.Linear(hidden, hidden)


class Modulation(nn.Module):
    """Shift, scale and gate (one set, or two for a double block) from the conditioning vector."""

    def __init__(self, hidden: int, sets: int) -> None:
        super().__init__()
        self.sets = sets
        self.lin = nn.Linear(hidden, 3 * sets * hidden)

    def forward(self, vec: Tensor) -> list[tuple[Tensor, Tensor, Tensor]]:
        chunks = self.lin(F.silu(vec))[:, None].chunk(3 * self.sets, dim=-1)
        return [tuple(chunks[3 * i : 3 * i + 3]) for i in range(self.sets)]  # type: ignore[misc]


def _norm(x: Tensor) -> Tensor:
    return F.layer_norm(x, x.shape[-1:], eps=1e-6)


def _mlp(hidden: int, ratio: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(hidden, hidden * ratio), nn.GELU(approximate="tanh"),
                         nn.Linear(hidden * ratio, hidden))  # fmt: skip


class DoubleStreamBlock(nn.Module):
    """Person ("img") and garment ("txt", the release's name) tokens: separate weights, one attention."""

    def __init__(self, hidden: int, heads: int, ratio: int) -> None:
        super().__init__()
        self.heads = heads
        self.img_mod, self.txt_mod = Modulation(hidden, 2), Modulation(hidden, 2)
        self.img_attn, self.txt_attn = Attention(hidden, heads), Attention(hidden, heads)
        self.img_mlp, self.txt_mlp = _mlp(hidden, ratio), _mlp(hidden, ratio)

    def _qkv(self, x: Tensor, attn: Attention, shift: Tensor, scale: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        q, k, v = split_heads(attn.qkv((1 + scale) * _norm(x) + shift), self.heads)
        q, k = attn.norm(q, k, v)
        return q, k, v

    def forward(self, img: Tensor, txt: Tensor, vec: Tensor, angles: Tensor) -> tuple[Tensor, Tensor]:
        (i_shift, i_scale, i_gate), (i_shift2, i_scale2, i_gate2) = self.img_mod(vec)
        (t_shift, t_scale, t_gate), (t_shift2, t_scale2, t_gate2) = self.txt_mod(vec)
        iq, ik, iv = self._qkv(img, self.img_attn, i_shift, i_scale)
        tq, tk, tv = self._qkv(txt, self.txt_attn, t_shift, t_scale)
        joint = attend(torch.cat([tq, iq], 2), torch.cat([tk, ik], 2), torch.cat([tv, iv], 2), angles)
        t_out, i_out = joint[:, : txt.shape[1]], joint[:, txt.shape[1] :]
        img = img + i_gate * self.img_attn.proj(i_out)
        img = img + i_gate2 * self.img_mlp((1 + i_scale2) * _norm(img) + i_shift2)
        txt = txt + t_gate * self.txt_attn.proj(t_out)
        txt = txt + t_gate2 * self.txt_mlp((1 + t_scale2) * _norm(txt) + t_shift2)
        return img, txt


class SingleStreamBlock(nn.Module):
    """Attention and MLP side by side from one input projection (qkv + MLP in, proj + MLP out)."""

    def __init__(self, hidden: int, heads: int, ratio: int) -> None:
        super().__init__()
        self.heads, self.hidden, self.mlp_hidden = heads, hidden, hidden * ratio
        self.linear1 = nn.Linear(hidden, 3 * hidden + self.mlp_hidden)
        self.linear2 = nn.Linear(hidden + self.mlp_hidden, hidden)
        self.norm = QKNorm(hidden // heads)
        self.modulation = Modulation(hidden, 1)

    def forward(self, x: Tensor, vec: Tensor, angles: Tensor) -> Tensor:
        ((shift, scale, gate),) = self.modulation(vec)
        qkv, mlp = self.linear1((1 + scale) * _norm(x) + shift).split([3 * self.hidden, self.mlp_hidden], -1)
        q, k, v = split_heads(qkv, self.heads)
        q, k = self.norm(q, k, v)
        out = self.linear2(torch.cat([attend(q, k, v, angles), F.gelu(mlp, approximate="tanh")], 2))
        return x + gate * out


class PatchEmbed(nn.Module):
    def __init__(self, channels: int, hidden: int, patch: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(channels, hidden, kernel_size=patch, stride=patch)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)  # [B, rows * cols, hidden], row-major


class MLPEmbedder(nn.Module):
    def __init__(self, features: int, hidden: int) -> None:
        super().__init__()
        self.in_layer, self.out_layer = nn.Linear(features, hidden), nn.Linear(hidden, hidden)

    def forward(self, x: Tensor) -> Tensor:
        return self.out_layer(F.silu(self.in_layer(x)))


class TimestepEmbedder(nn.Module):
    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.mlp = MLPEmbedder(256, hidden)

    def forward(self, t: Tensor) -> Tensor:
        return self.mlp(timestep_features(t))


class LastLayer(nn.Module):
    def __init__(self, hidden: int, out: int) -> None:
        super().__init__()
        self.linear = nn.Linear(hidden, out)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden, 2 * hidden))

    def forward(self, x: Tensor, vec: Tensor) -> Tensor:
        shift, scale = self.adaLN_modulation(vec).chunk(2, dim=1)
        return self.linear((1 + scale[:, None]) * _norm(x) + shift[:, None])


def _drop(x: Tensor, keep: Tensor) -> Tensor:
    """x where keep, zeros elsewhere (per batch item): the null condition of guidance."""
    return torch.where(keep.view(-1, *([1] * (x.dim() - 1))), x, torch.zeros_like(x))


class TryOnModel(nn.Module):
    def __init__(self, config: Config = Config()) -> None:
        super().__init__()
        c = self.config = config
        if sum(c.axes) != c.head_dim:
            raise ValueError(f"rotary axes {c.axes} must add up to the head dim {c.head_dim}")
        self.t_embedder = TimestepEmbedder(c.hidden)
        self.y_embedder = nn.Embedding(c.categories + 1, c.hidden)
        self.x_embedder = PatchEmbed(2 * c.channels + 1, c.hidden, c.patch)
        self.garment_embedder = PatchEmbed(c.channels + 1, c.hidden, c.patch)
        self.x_patch_mixer = nn.ModuleList(
            SingleStreamBlock(c.hidden, c.heads, c.mlp_ratio) for _ in range(c.mixer_blocks)
        )
        # kept by the release's checkpoint though inference never reads it
        self.register_buffer("patch_mixer_token", torch.zeros(1, 1, c.channels * c.patch**2))
        self.double_blocks = nn.ModuleList(
            DoubleStreamBlock(c.hidden, c.heads, c.mlp_ratio) for _ in range(c.double_blocks)
        )
        self.single_blocks = nn.ModuleList(
            SingleStreamBlock(c.hidden, c.heads, c.mlp_ratio) for _ in range(c.single_blocks)
        )
        self.final_layer = LastLayer(c.hidden, c.channels * c.patch**2)

    def positions(self, batch: int, device: torch.device) -> Tensor:
        rows, cols = self.config.grid
        ids = torch.zeros(rows, cols, 3, device=device)
        ids[..., 1] = torch.arange(rows, device=device)[:, None]
        ids[..., 2] = torch.arange(cols, device=device)[None, :]
        return ids.reshape(1, rows * cols, 3).expand(batch, -1, -1)

    def forward(
        self, x: Tensor, t: Tensor, person: Tensor, person_pose: Tensor, garment: Tensor, garment_pose: Tensor,
        category: Tensor, keep: Tensor | None = None,
    ) -> Tensor:  # fmt: skip
        """The flow velocity [B, C, H, W] at time t (0 noise .. 1 image). Images in [-1, 1]:
        x the noisy image, person the clothing-agnostic photo, poses one-channel drawings; keep
        (bool [B]) False drops every condition (guidance's unconditional half)."""
        b, c = x.shape[0], self.config
        keep = torch.ones(b, dtype=torch.bool, device=x.device) if keep is None else keep
        img = self.x_embedder(torch.cat([x, _drop(person, keep), _drop(person_pose, keep)], 1))
        txt = self.garment_embedder(torch.cat([_drop(garment, keep), _drop(garment_pose, keep)], 1))
        vec = self.t_embedder(t) + self.y_embedder(_drop(category, keep))
        angles = rotary_angles(self.positions(b, x.device), c.axes, c.theta)
        for block in self.x_patch_mixer:
            img = block(img, vec, angles)
        joint_angles = torch.cat([angles, angles], 1)  # person and garment share the grid
        for block in self.double_blocks:
            img, txt = block(img, txt, vec, joint_angles)
        tokens = torch.cat([txt, img], 1)
        for block in self.single_blocks:
            tokens = block(tokens, vec, joint_angles)
        out = self.final_layer(tokens[:, txt.shape[1] :], vec)  # [B, rows * cols, C * p * p]
        rows, cols = c.grid
        out = out.view(b, rows, cols, c.channels, c.patch, c.patch)
        return out.permute(0, 3, 1, 4, 2, 5).reshape(b, c.channels, rows * c.patch, cols * c.patch)
