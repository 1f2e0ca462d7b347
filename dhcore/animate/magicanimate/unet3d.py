"""MagicAnimate's denoiser: SD1.5 inflated to video with motion modules, DensePose ControlNet
residuals and reference attention (mid and up blocks) from the appearance encoder's bank.

Inputs are [B, C, F, h, w] like the release's; inside, frames are folded into the batch
([B*F, C, h, w], batch-major). It predicts epsilon.
"""

from __future__ import annotations

import torch
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from torch import nn

from dhcore.animate.animate_anyone.config import MotionConfig, UNetConfig
from dhcore.animate.animate_anyone.reference_attention import ReferenceReader
from dhcore.animate.magicanimate.config import FUSION_ROOTS
from dhcore.animate.magicanimate.unet3d_blocks import DownBlock, MidBlock, UpBlock, video_group_norm


class MagicUNet3D(nn.Module):
    def __init__(self, cfg: UNetConfig, motion: MotionConfig):
        super().__init__()
        self.cfg, self.motion = cfg, motion
        ch = cfg.block_out_channels
        temb = ch[0] * 4
        last = len(ch) - 1
        self.conv_in = nn.Conv2d(cfg.in_channels, ch[0], kernel_size=3, padding=1)
        self.time_proj = Timesteps(ch[0], cfg.flip_sin_to_cos, cfg.freq_shift)
        self.time_embedding = TimestepEmbedding(ch[0], temb)
        self.down_blocks = nn.ModuleList(
            DownBlock(ch[max(i - 1, 0)], ch[i], temb, cfg, motion, attention=i < last, down=i < last)
            for i in range(len(ch))
        )
        self.mid_block = MidBlock(ch[-1], temb, cfg)
        rev = list(reversed(ch))
        self.up_blocks = nn.ModuleList(
            UpBlock(
                rev[min(i + 1, last)],
                rev[i],
                rev[max(i - 1, 0)],
                temb,
                cfg,
                motion,
                attention=i > 0,
                up=i < last,
            )
            for i in range(len(ch))
        )
        self.conv_norm_out = nn.GroupNorm(cfg.norm_num_groups, ch[0], eps=cfg.norm_eps)
        self.conv_out = nn.Conv2d(ch[0], cfg.out_channels, kernel_size=3, padding=1)
        self.reference = ReferenceReader(self, FUSION_ROOTS)

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | int,
        text: torch.Tensor,
        down_residuals: list[torch.Tensor] | None = None,
        mid_residual: torch.Tensor | None = None,
        skip_reference_rows: int = 0,
    ) -> torch.Tensor:
        """sample [B, 4, F, h, w]; text [B, 77, D]; ControlNet residuals per frame in the folded
        layout ([B*F, C, h', w']); the first `skip_reference_rows` folded rows use plain
        self-attention instead of the reference bank. Returns epsilon [B, 4, F, h, w]."""
        b, _, f, h, w = sample.shape
        x = sample.transpose(1, 2).reshape(b * f, -1, h, w)
        t = torch.as_tensor(timestep, device=x.device).reshape(-1).expand(b)
        emb = self.time_embedding(self.time_proj(t).to(x.dtype)).repeat_interleave(f, dim=0)
        ctx = text.to(x.dtype).repeat_interleave(f, dim=0)
        self.reference.uncond_rows = skip_reference_rows

        x = self.conv_in(x)
        skips = [x]
        for block in self.down_blocks:
            x, block_skips = block(x, emb, ctx, f)
            skips.extend(block_skips)
        if down_residuals is not None:
            if len(down_residuals) != len(skips):
                raise ValueError(
                    f"expected {len(skips)} ControlNet down residuals, got {len(down_residuals)}"
                )
            skips = [s + r.to(s.dtype) for s, r in zip(skips, down_residuals, strict=True)]
        x = self.mid_block(x, emb, ctx, f)
        if mid_residual is not None:
            x = x + mid_residual.to(x.dtype)
        for block in self.up_blocks:
            n = len(block.resnets)
            block_skips, skips = skips[-n:], skips[:-n]
            size = tuple(skips[-1].shape[-2:]) if skips else None
            x = block(x, block_skips, emb, ctx, f, size)
        x = self.conv_out(nn.functional.silu(video_group_norm(self.conv_norm_out, x, f)))
        return x.reshape(b, f, -1, h, w).transpose(1, 2)


def motion_keys(keys: list[str]) -> list[str]:
    """Keys of temporal_attention.ckpt: every UNet3D key containing `motion_modules`."""
    return [k for k in keys if "motion_modules" in k]
