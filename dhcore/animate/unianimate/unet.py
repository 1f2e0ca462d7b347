"""UniAnimate's video UNet (`UNetSD_UniAnimate`): SD2.1 layout with temporal layers, no ReferenceNet.

The reference enters as an extra frame prepended along time (its VAE latent and its pose,
embedded to 12 channels); the driving poses enter as 8 channels concatenated to each latent
frame; the reference's CLIP image embedding becomes `num_tokens` cross-attention tokens after the
empty-prompt context `zero_y`. Output: v for the F driving frames (the reference frame dropped).
Rows can be marked unconditional (`keep` False): they see no pose, no reference frame and zero image
tokens, exactly as the release's separate call with every condition None, so CFG runs as one batch.
"""

from __future__ import annotations

import torch
from diffusers.models.attention_processor import Attention, AttnProcessor
from torch import nn

from dhcore.animate.unianimate.adapters import FrameTransformer, embed_frames, image_stack, latent_stack
from dhcore.animate.unianimate.blocks import (
    Downsample,
    ResBlock,
    SpatialTransformer,
    TemporalTransformer,
    Upsample,
    to_frames,
)
from dhcore.animate.unianimate.config import UNetConfig

#: channels of the embedded reference frame: 4 latent + 8 pose
REF_CHANNELS = 12


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """The release's sinusoid: [cos(t f), sin(t f)], f = 10000^(-i/half)."""
    half = dim // 2
    t = t.float()
    freqs = torch.pow(10000, -torch.arange(half, device=t.device, dtype=t.dtype).div(half))
    arg = torch.outer(t, freqs)
    return torch.cat([torch.cos(arg), torch.sin(arg)], dim=1)


class UniAnimateUNet(nn.Module):
    def __init__(self, cfg: UNetConfig):
        super().__init__()
        self.cfg = cfg
        dim, emb, concat = cfg.dim, cfg.embed_dim, cfg.concat_dim
        self.time_embed = nn.Sequential(nn.Linear(dim, emb), nn.SiLU(), nn.Linear(emb, emb))
        cd = cfg.context_dim
        self.pre_image_condition = nn.Sequential(
            nn.Linear(cd, cd), nn.SiLU(), nn.Linear(cd, cd * cfg.num_tokens)
        )
        self.local_image_embedding = image_stack(concat)
        self.local_image_embedding_after = FrameTransformer(concat)
        self.dwpose_embedding = image_stack(concat)
        self.dwpose_embedding_after = FrameTransformer(concat)
        self.randomref_pose2_embedding = image_stack(REF_CHANNELS)
        self.randomref_pose2_embedding_after = FrameTransformer(REF_CHANNELS)
        self.randomref_embedding2 = latent_stack(REF_CHANNELS)
        self.randomref_embedding_after2 = FrameTransformer(REF_CHANNELS)
        self.register_buffer("zero_y", torch.zeros(1, 77, cd), persistent=False)

        def attention(channels: int) -> list[nn.Module]:
            heads = channels // cfg.head_dim
            return [
                SpatialTransformer(channels, heads, cfg.head_dim, cd),
                TemporalTransformer(channels, heads, cfg.head_dim),
            ]

        stem = [
            nn.Conv2d(cfg.in_dim + concat, dim, 3, padding=1),
            TemporalTransformer(dim, cfg.num_heads, cfg.head_dim),
        ]
        self.input_blocks = nn.ModuleList([nn.ModuleList(stem)])
        skips, scale = [dim], 1.0
        enc = [dim * m for m in (1, *cfg.dim_mult)]
        levels = len(cfg.dim_mult)
        for i, (cin, cout) in enumerate(zip(enc[:-1], enc[1:], strict=True)):
            for j in range(cfg.num_res_blocks):
                block: list[nn.Module] = [ResBlock(cin, emb, cout)]
                if scale in cfg.attn_scales:
                    block += attention(cout)
                self.input_blocks.append(nn.ModuleList(block))
                skips.append(cout)
                cin = cout
                if i != levels - 1 and j == cfg.num_res_blocks - 1:
                    self.input_blocks.append(Downsample(cout))
                    skips.append(cout)
                    scale /= 2
        self.middle_block = nn.ModuleList([ResBlock(cout, emb), *attention(cout), ResBlock(cout, emb)])
        self.output_blocks = nn.ModuleList()
        dec = [dim * m for m in (cfg.dim_mult[-1], *cfg.dim_mult[::-1])]
        for i, (cin, cout) in enumerate(zip(dec[:-1], dec[1:], strict=True)):
            for j in range(cfg.num_res_blocks + 1):
                block = [ResBlock(cin + skips.pop(), emb, cout)]
                if scale in cfg.attn_scales:
                    block += attention(cout)
                cin = cout
                if i != levels - 1 and j == cfg.num_res_blocks:
                    block.append(Upsample(cout))
                    scale *= 2
                self.output_blocks.append(nn.ModuleList(block))
        self.out = nn.Sequential(
            nn.GroupNorm(32, cout), nn.SiLU(), nn.Conv2d(cout, cfg.out_dim, 3, padding=1)
        )

    # -- conditioning -----------------------------------------------------------------------------
    def _inputs(
        self,
        x: torch.Tensor,
        pose: torch.Tensor | None,
        ref_latent: torch.Tensor | None,
        local_image: torch.Tensor | None,
        keep: torch.Tensor | None,
    ) -> torch.Tensor:
        """[B, 12, F+1, h, w]: the embedded reference frame, then [latent ; pose channels] per frame."""
        b, _, f, h, w = x.shape
        concat = x.new_zeros(b, self.cfg.concat_dim, f, h, w)
        if local_image is not None:
            concat = concat + embed_frames(
                self.local_image_embedding, self.local_image_embedding_after, local_image
            )
        if pose is not None:
            concat = concat + embed_frames(self.dwpose_embedding, self.dwpose_embedding_after, pose[:, :, 1:])
        ref = x.new_zeros(b, REF_CHANNELS, 1, h, w)
        if ref_latent is not None:
            ref = ref + embed_frames(
                self.randomref_embedding2, self.randomref_embedding_after2, ref_latent[:, :, None]
            )
            if pose is not None:
                ref = ref + embed_frames(
                    self.randomref_pose2_embedding, self.randomref_pose2_embedding_after, pose[:, :, :1]
                )
        if keep is not None:
            mask = keep.to(x.dtype)[:, None, None, None, None]
            concat, ref = concat * mask, ref * mask
        return torch.cat([ref, torch.cat([x, concat], dim=1)], dim=2)

    def _context(self, b: int, image: torch.Tensor | None, keep: torch.Tensor | None) -> torch.Tensor:
        """[B, 77 + num_tokens, D]: zero_y, then the image tokens (zeros without an image)."""
        cd, n = self.cfg.context_dim, self.cfg.num_tokens
        zero_y = self.zero_y.to(self.out[-1].weight.dtype).expand(b, -1, -1)
        if image is None:
            tokens = zero_y.new_zeros(b, n, cd)
        else:
            tokens = self.pre_image_condition(image.reshape(b, 1, cd)).reshape(b, n, cd)
            if keep is not None:
                tokens = tokens * keep.to(tokens.dtype)[:, None, None]
        return torch.cat([zero_y, tokens], dim=1)

    # -- forward ----------------------------------------------------------------------------------
    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        image: torch.Tensor | None = None,
        pose: torch.Tensor | None = None,
        ref_latent: torch.Tensor | None = None,
        local_image: torch.Tensor | None = None,
        keep: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x [B, 4, F, h, w], t [B]; image [B, 1, D] (CLIP embedding); pose [B, 3, F+1, H, W] in [0, 1]
        (the reference's pose first); ref_latent [B, 4, h, w]; local_image [B, 3, F, H, W];
        keep [B] bool (False: an unconditional row). Returns v [B, 4, F, h, w]."""
        b = x.shape[0]
        h = to_frames(self._inputs(x, pose, ref_latent, local_image, keep))
        frames = h.shape[0] // b
        emb = self.time_embed(timestep_embedding(t, self.cfg.dim).to(h.dtype)).repeat_interleave(
            frames, dim=0
        )
        ctx = self._context(b, image, keep).repeat_interleave(frames, dim=0)
        skips = []
        for block in self.input_blocks:
            h = self._run_block(block, h, emb, ctx, b)
            skips.append(h)
        h = self._run_block(self.middle_block, h, emb, ctx, b)
        for block in self.output_blocks:
            h = self._run_block(block, torch.cat([h, skips.pop()], dim=1), emb, ctx, b)
        out = self.out(h)
        return out.reshape(b, frames, *out.shape[1:]).transpose(1, 2)[:, :, 1:]

    def _run_block(
        self, module: nn.Module, h: torch.Tensor, emb: torch.Tensor, ctx: torch.Tensor, b: int
    ) -> torch.Tensor:
        if isinstance(module, nn.ModuleList):
            for m in module:
                h = self._run_block(m, h, emb, ctx, b)
            return h
        if isinstance(module, ResBlock):
            return module(h, emb, b)
        if isinstance(module, SpatialTransformer):
            return module(h, ctx)
        if isinstance(module, TemporalTransformer):
            return module(h, b)
        return module(h)


def use_explicit_attention(module: nn.Module) -> None:
    """softmax(q kᵀ / √d) v as explicit matmuls, as the release's attention computes it. SDPA (the
    default) is faster and leaner; on CPU its fused kernel moves one UNet call by up to ~4e-4
    (|max| 2) at the tiny size, beyond the reference's 2e-4: parity checks use this."""
    for m in module.modules():
        if isinstance(m, Attention):
            m.set_processor(AttnProcessor())
