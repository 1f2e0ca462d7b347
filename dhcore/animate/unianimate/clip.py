"""OpenCLIP ViT-H-14, with open_clip's key names: the reference's image embedding and `zero_y`.

UniAnimate reads one 1024-d image embedding (class token after `ln_post`, projected) and the
text tower's output for the empty prompt (all blocks but the last, then `ln_final`): a fixed
[1, 77, 1024] context computed once per model. Preprocessing: the whole image resized to
224x224 (PIL bilinear, aspect not kept), /255, OpenAI mean/std.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from torch import nn

from dhcore.animate.unianimate.config import ClipConfig

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
#: open_clip.tokenize(""): start, end, then padding
SOT, EOT = 49406, 49407


class _Block(nn.Module):
    def __init__(self, width: int, heads: int, mlp_ratio: float):
        super().__init__()
        hidden = int(width * mlp_ratio)
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(width, hidden))
        self.mlp.add_module("gelu", nn.GELU())
        self.mlp.add_module("c_proj", nn.Linear(hidden, width))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class _Transformer(nn.Module):
    def __init__(self, width: int, heads: int, layers: int, mlp_ratio: float):
        super().__init__()
        self.resblocks = nn.ModuleList([_Block(width, heads, mlp_ratio) for _ in range(layers)])


class VisionTower(nn.Module):
    def __init__(self, cfg: ClipConfig):
        super().__init__()
        w, grid = cfg.vision_width, cfg.image_size // cfg.patch_size
        self.conv1 = nn.Conv2d(3, w, cfg.patch_size, stride=cfg.patch_size, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(w))
        self.positional_embedding = nn.Parameter(torch.zeros(grid * grid + 1, w))
        self.ln_pre = nn.LayerNorm(w)
        self.transformer = _Transformer(w, w // cfg.vision_head_width, cfg.vision_layers, cfg.mlp_ratio)
        self.ln_post = nn.LayerNorm(w)
        self.proj = nn.Parameter(torch.zeros(w, cfg.embed_dim))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.conv1(pixels).flatten(2).transpose(1, 2)
        cls = self.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = self.ln_pre(torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype))
        for block in self.transformer.resblocks:
            x = block(x)
        return self.ln_post(x)[:, 0] @ self.proj


class OpenClip(nn.Module):
    """Both towers; state-dict keys as in open_clip_pytorch_model.bin."""

    def __init__(self, cfg: ClipConfig):
        super().__init__()
        self.cfg = cfg
        self.visual = VisionTower(cfg)
        self.token_embedding = nn.Embedding(cfg.vocab_size, cfg.text_width)
        self.positional_embedding = nn.Parameter(torch.zeros(cfg.context_length, cfg.text_width))
        self.transformer = _Transformer(cfg.text_width, cfg.text_heads, cfg.text_layers, cfg.mlp_ratio)
        self.ln_final = nn.LayerNorm(cfg.text_width)
        self.text_projection = nn.Parameter(torch.zeros(cfg.text_width, cfg.embed_dim))
        self.logit_scale = nn.Parameter(torch.zeros(()))

    @torch.no_grad()
    def image_embedding(self, image: np.ndarray) -> torch.Tensor:
        """RGB uint8 [H, W, 3] -> [1, 1, embed_dim]."""
        p = self.visual.proj
        return self.visual(clip_pixels(image).to(p.device, p.dtype))[:, None]

    @torch.no_grad()
    def empty_prompt_context(self) -> torch.Tensor:
        """The text tower's penultimate layer + ln_final on "": [1, 77, text_width] (`zero_y`)."""
        n = self.cfg.context_length
        tokens = torch.zeros(1, n, dtype=torch.long, device=self.positional_embedding.device)
        tokens[0, 0], tokens[0, 1] = SOT, EOT
        x = self.token_embedding(tokens) + self.positional_embedding
        mask = torch.full((n, n), float("-inf"), device=x.device, dtype=x.dtype).triu_(1)
        for block in self.transformer.resblocks[:-1]:
            x = block(x, mask)
        return self.ln_final(x)


def clip_pixels(image: np.ndarray, size: int = 224) -> torch.Tensor:
    small = np.asarray(Image.fromarray(image).resize((size, size), Image.BILINEAR))
    x = (small.astype(np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(x.transpose(2, 0, 1).copy())[None]
