"""The denoising UNet3D: SD1.5 inflated to video, AnimateDiff motion modules, reference attention.

Inputs are [B, C, F, h, w] like the release's; inside, frames are folded into the batch
([B*F, C, h, w], batch-major) so every spatial op is a plain 2-D op per frame. Pose (or Champ
guidance) features are added after `conv_in`, before the first skip connection. Under CFG the
first `uncond` batch elements are the unconditional branch: zero CLIP token and, per the
releases, no reference tokens.
"""

from __future__ import annotations

import torch
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from torch import nn

from dhcore.animate.animate_anyone.config import MotionConfig, UNetConfig
from dhcore.animate.animate_anyone.cross_attention import use_single_token_cross_attention
from dhcore.animate.animate_anyone.reference_attention import ReferenceReader
from dhcore.animate.animate_anyone.unet3d_blocks import DownBlock3D, MidBlock3D, UpBlock3D

MOTION_KEY = "motion_modules."


class DenoisingUNet3D(nn.Module):
    def __init__(self, cfg: UNetConfig, motion: MotionConfig):
        super().__init__()
        self.cfg, self.motion = cfg, motion
        ch = cfg.block_out_channels
        temb = ch[0] * 4
        self.conv_in = nn.Conv2d(cfg.in_channels, ch[0], kernel_size=3, padding=1)
        self.time_proj = Timesteps(ch[0], cfg.flip_sin_to_cos, cfg.freq_shift)
        self.time_embedding = TimestepEmbedding(ch[0], temb)

        last = len(ch) - 1
        self.down_blocks = nn.ModuleList(
            DownBlock3D(ch[max(i - 1, 0)], ch[i], temb, cfg, motion, attention=i < last, down=i < last)
            for i in range(len(ch))
        )
        self.mid_block = MidBlock3D(ch[-1], temb, cfg, motion)
        rev = list(reversed(ch))
        self.up_blocks = nn.ModuleList(
            UpBlock3D(
                c_in=rev[min(i + 1, last)],
                c_out=rev[i],
                c_prev=rev[max(i - 1, 0)],
                temb=temb,
                cfg=cfg,
                motion=motion,
                attention=i > 0,
                up=i < last,
            )
            for i in range(len(ch))
        )
        self.conv_norm_out = nn.GroupNorm(cfg.norm_num_groups, ch[0], eps=cfg.norm_eps)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(ch[0], cfg.out_channels, kernel_size=3, padding=1)
        self.reference = ReferenceReader(self)
        use_single_token_cross_attention(self)

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | int,
        context: torch.Tensor,
        cond_features: torch.Tensor | None = None,
        uncond: int = 0,
    ) -> torch.Tensor:
        """sample [B, 4, F, h, w]; timestep scalar or [B]; context [B, 1, D]; cond_features
        [B, C0, F, h, w] (pose or summed guidance); the first `uncond` batch elements ignore the
        reference bank. Returns the v-prediction [B, 4, F, h, w]."""
        b, _, f, h, w = sample.shape
        x = sample.transpose(1, 2).reshape(b * f, -1, h, w)
        t = torch.as_tensor(timestep, device=x.device).reshape(-1).expand(b)
        emb = self.time_embedding(self.time_proj(t).to(x.dtype))
        emb = emb.repeat_interleave(f, dim=0)
        ctx = context.to(x.dtype).repeat_interleave(f, dim=0)
        self.reference.uncond_rows = uncond * f

        x = self.conv_in(x)
        if cond_features is not None:
            x = x + cond_features.transpose(1, 2).reshape(b * f, -1, h, w).to(x.dtype)
        skips = [x]
        for block in self.down_blocks:
            x, block_skips = block(x, emb, ctx, f)
            skips.extend(block_skips)
        x = self.mid_block(x, emb, ctx, f)
        for block in self.up_blocks:
            n = len(block.resnets)
            block_skips, skips = skips[-n:], skips[:-n]
            size = tuple(skips[-1].shape[-2:]) if skips else None
            x = block(x, block_skips, emb, ctx, f, size)
        x = self.conv_out(self.conv_act(self.conv_norm_out(x)))
        return x.reshape(b, f, -1, h, w).transpose(1, 2)


def motion_keys(state_keys: list[str]) -> list[str]:
    """Keys that motion_module.pth holds (the release's training-save filter)."""
    return [k for k in state_keys if "motion_module" in k]
