"""UniAnimate's architecture sizes, as the release builds them (tools/modules/config.py merged with the YAML)."""

from __future__ import annotations

from dataclasses import dataclass, replace

#: SD2.1 latent scaling
VAE_SCALE = 0.18215


@dataclass(frozen=True)
class UNetConfig:
    dim: int = 320
    dim_mult: tuple[int, ...] = (1, 2, 4, 4)
    #: heads of the first temporal transformer (the others use channels // head_dim)
    num_heads: int = 8
    head_dim: int = 64
    num_res_blocks: int = 2
    #: spatial-attention levels as scales of the latent (the code's config.py, not the class default)
    attn_scales: tuple[float, ...] = (1.0, 0.5, 0.25)
    context_dim: int = 1024
    #: CLIP image tokens made from the one image embedding
    num_tokens: int = 4
    #: pose channels concatenated to the 4 latent channels
    concat_dim: int = 8
    in_dim: int = 4
    out_dim: int = 4

    @property
    def embed_dim(self) -> int:
        return self.dim * 4


FULL = UNetConfig()
#: the reference data's tiny configuration (same classes and key names)
TINY = UNetConfig(dim=32, dim_mult=(1, 1, 1, 1), head_dim=8, num_tokens=1)


@dataclass(frozen=True)
class ClipConfig:
    """OpenCLIP towers: ViT-H-14 by default."""

    embed_dim: int = 1024
    image_size: int = 224
    patch_size: int = 14
    vision_width: int = 1280
    vision_head_width: int = 80
    vision_layers: int = 32
    mlp_ratio: float = 4.0
    text_width: int = 1024
    text_heads: int = 16
    text_layers: int = 24
    context_length: int = 77
    vocab_size: int = 49408


CLIP_FULL = ClipConfig()
CLIP_TINY = ClipConfig(vision_width=32, vision_head_width=16, vision_layers=2, text_width=8, text_heads=2,
                       text_layers=2)  # fmt: skip


@dataclass(frozen=True)
class VaeConfig:
    """The SD2.1 first-stage model (LDM ddconfig): ch x ch_mult per level."""

    ch: int = 128
    ch_mult: tuple[int, ...] = (1, 2, 4, 4)
    num_res_blocks: int = 2

    def diffusers(self) -> dict:
        """The same network as a diffusers AutoencoderKL config."""
        n = len(self.ch_mult)
        return {
            "in_channels": 3, "out_channels": 3, "latent_channels": 4, "norm_num_groups": 32,
            "down_block_types": ["DownEncoderBlock2D"] * n, "up_block_types": ["UpDecoderBlock2D"] * n,
            "block_out_channels": [self.ch * m for m in self.ch_mult], "layers_per_block": self.num_res_blocks,
            "scaling_factor": VAE_SCALE,
        }  # fmt: skip


VAE_FULL = VaeConfig()
VAE_TINY = VaeConfig(ch=32, ch_mult=(1, 1, 1, 1))


@dataclass(frozen=True)
class Architecture:
    unet: UNetConfig
    clip: ClipConfig
    vae: VaeConfig


#: "full": the release; "tiny": random test-size models (tests, CPU benchmarks) whose text tower
#: is as wide as the UNet context, so `zero_y` comes from it as at full size
ARCHITECTURES = {
    "full": Architecture(FULL, CLIP_FULL, VAE_FULL),
    "tiny": Architecture(
        replace(TINY, context_dim=32),
        ClipConfig(
            embed_dim=32,
            vision_width=32,
            vision_head_width=16,
            vision_layers=2,
            text_width=32,
            text_heads=2,
            text_layers=2,
        ),
        VAE_TINY,
    ),  # fmt: skip
}
