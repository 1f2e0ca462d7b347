"""The SD2.1 VAE as diffusers' AutoencoderKL, loaded from the LDM checkpoint's `first_stage_model.*` keys.

The release reads them from `v2-1_512-ema-pruned.ckpt`; diffusers' own LDM converter renames
them. The expected LDM names are generated here from the architecture so that a wrong file is
an error naming the file and its offending keys before any conversion.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from diffusers import AutoencoderKL
from diffusers.loaders.single_file_utils import convert_ldm_vae_checkpoint

from dhcore.animate.unianimate.config import VAE_SCALE, VaeConfig
from dhcore.models.state_dict import check_keys

PREFIX = "first_stage_model."
Shapes = dict[str, tuple[int, ...]]


def _resnet(prefix: str, cin: int, cout: int) -> Shapes:
    shapes: Shapes = {f"{prefix}.norm1.weight": (cin,), f"{prefix}.norm1.bias": (cin,),
                      f"{prefix}.conv1.weight": (cout, cin, 3, 3), f"{prefix}.conv1.bias": (cout,),
                      f"{prefix}.norm2.weight": (cout,), f"{prefix}.norm2.bias": (cout,),
                      f"{prefix}.conv2.weight": (cout, cout, 3, 3), f"{prefix}.conv2.bias": (cout,)}  # fmt: skip
    if cin != cout:
        shapes |= {f"{prefix}.nin_shortcut.weight": (cout, cin, 1, 1), f"{prefix}.nin_shortcut.bias": (cout,)}
    return shapes


def _mid(prefix: str, c: int) -> Shapes:
    shapes = _resnet(f"{prefix}.block_1", c, c)
    shapes |= {f"{prefix}.attn_1.norm.weight": (c,), f"{prefix}.attn_1.norm.bias": (c,)}
    for name in ("q", "k", "v", "proj_out"):
        shapes |= {f"{prefix}.attn_1.{name}.weight": (c, c, 1, 1), f"{prefix}.attn_1.{name}.bias": (c,)}
    return shapes | _resnet(f"{prefix}.block_2", c, c)


def ldm_vae_shapes(cfg: VaeConfig) -> Shapes:
    """Every `first_stage_model.*` key and shape of an LDM AutoencoderKL checkpoint of this size."""
    chans = [cfg.ch * m for m in cfg.ch_mult]
    top, levels = chans[-1], len(chans)
    e, d = PREFIX + "encoder", PREFIX + "decoder"
    s: Shapes = {f"{e}.conv_in.weight": (cfg.ch, 3, 3, 3), f"{e}.conv_in.bias": (cfg.ch,)}
    cin = cfg.ch
    for i, cout in enumerate(chans):
        for j in range(cfg.num_res_blocks):
            s |= _resnet(f"{e}.down.{i}.block.{j}", cin, cout)
            cin = cout
        if i != levels - 1:
            s |= {
                f"{e}.down.{i}.downsample.conv.weight": (cout, cout, 3, 3),
                f"{e}.down.{i}.downsample.conv.bias": (cout,),
            }
    s |= _mid(f"{e}.mid", top)
    s |= {f"{e}.norm_out.weight": (top,), f"{e}.norm_out.bias": (top,), f"{e}.conv_out.weight": (8, top, 3, 3),
          f"{e}.conv_out.bias": (8,)}  # fmt: skip
    s |= {f"{d}.conv_in.weight": (top, 4, 3, 3), f"{d}.conv_in.bias": (top,)}
    s |= _mid(f"{d}.mid", top)
    cin = top
    for i in reversed(range(levels)):
        cout = chans[i]
        for j in range(cfg.num_res_blocks + 1):
            s |= _resnet(f"{d}.up.{i}.block.{j}", cin, cout)
            cin = cout
        if i != 0:
            s |= {
                f"{d}.up.{i}.upsample.conv.weight": (cout, cout, 3, 3),
                f"{d}.up.{i}.upsample.conv.bias": (cout,),
            }
    s |= {f"{d}.norm_out.weight": (chans[0],), f"{d}.norm_out.bias": (chans[0],), f"{d}.conv_out.weight": (3, chans[0], 3, 3),
          f"{d}.conv_out.bias": (3,)}  # fmt: skip
    s |= {PREFIX + "quant_conv.weight": (8, 8, 1, 1), PREFIX + "quant_conv.bias": (8,),
          PREFIX + "post_quant_conv.weight": (4, 4, 1, 1), PREFIX + "post_quant_conv.bias": (4,)}  # fmt: skip
    return s


def vae_state(cfg: VaeConfig, checkpoint: Mapping[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
    """The first-stage keys of a full SD2.1 checkpoint (other keys ignored, as the release does),
    checked, then renamed for diffusers' AutoencoderKL."""
    vae = {k: v for k, v in checkpoint.items() if k.startswith(PREFIX)}
    check_keys(ldm_vae_shapes(cfg), vae, f"{source} (its {PREFIX}* keys)")
    return convert_ldm_vae_checkpoint(vae, cfg.diffusers())


def build_vae(cfg: VaeConfig) -> AutoencoderKL:
    return AutoencoderKL.from_config(cfg.diffusers())


@torch.no_grad()
def encode_sample(vae: AutoencoderKL, image: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """[B, 3, H, W] in [0, 1] -> VAE_SCALE * (mean + std * eps): the release encodes a sample, not the mean."""
    p = next(vae.parameters())
    dist = vae.encode((image * 2 - 1).to(p.device, p.dtype)).latent_dist
    return VAE_SCALE * (dist.mean + dist.std * eps.to(dist.mean))
