"""Parity of the single modules with the reference's `golden_modules` (tolerance 1e-5) and the
diffusion tables; the time path separately (the tiny UNet barely responds to t, see the README)."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file

from dhcore.animate.unianimate.blocks import ResBlock
from dhcore.animate.unianimate.clip import clip_pixels
from dhcore.animate.unianimate.components import Parts
from dhcore.animate.unianimate.config import VAE_SCALE
from dhcore.animate.unianimate.scheduler import UniAnimateDDIM, alphas_cumprod, timesteps
from dhcore.animate.unianimate.unet import timestep_embedding

TOL = 1e-5


def diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return float((a.float() - b.float()).abs().max())


def test_parity_clip_image_and_empty_prompt(golden_parts: Parts, tiny_dir: Path) -> None:
    g = load_file(tiny_dir / "golden_modules.safetensors")
    image = g["input.ref_image_uint8_HWC"].numpy()
    vit = ((g["intermediate.vit_resized_uint8_HWC"].float() / 255 - torch.tensor([0.48145466, 0.4578275, 0.40821073]))
           / torch.tensor([0.26862954, 0.26130258, 0.27577711])).permute(2, 0, 1)[None]  # fmt: skip
    assert diff(clip_pixels(image), vit) < 1e-6  # PIL bilinear resize + normalisation
    assert diff(golden_parts.clip.image_embedding(image)[:, 0], g["output.clip_image_embed"]) < TOL
    assert diff(golden_parts.clip.empty_prompt_context(), g["output.text_penultimate_ln_final"]) < TOL


@torch.no_grad()
def test_parity_vae_posterior_sample_and_decode(golden_parts: Parts, tiny_dir: Path) -> None:
    g = load_file(tiny_dir / "golden_modules.safetensors")
    dist = golden_parts.vae.encode(g["intermediate.vae_encode_input"]).latent_dist
    assert diff(dist.mean, g["output.vae_posterior_mean"]) < TOL
    assert diff(dist.logvar, g["output.vae_posterior_logvar_clamped"]) < TOL
    latent = VAE_SCALE * (dist.mean + dist.std * g["intermediate.vae_sample_eps_seed77"])
    assert diff(latent, g["output.vae_latent_scaled"]) < TOL
    decoded = golden_parts.vae.decode(g["input.vae_decode_latent_scaled"] / VAE_SCALE).sample
    assert diff(decoded, g["output.vae_decoded"]) < TOL


@torch.no_grad()
def test_parity_time_path_resblock64(tiny_dir: Path) -> None:
    g = load_file(tiny_dir / "golden_modules.safetensors")
    block = ResBlock(64, 256, 64).eval()
    block.load_state_dict(load_file(tiny_dir / "resblock64.safetensors"), strict=True)
    x, emb = g["resblock64.input.x"], g["resblock64.input.emb"]
    out = block(x, emb, 2)
    assert diff(out, g["resblock64.output"]) < TOL
    assert diff(block(x, torch.zeros_like(emb), 2), g["resblock64.output_emb_zero"]) < TOL
    assert float((out - g["resblock64.output_emb_zero"]).abs().max()) > 1e-2  # the embedding matters here


@torch.no_grad()
def test_parity_time_embedding_hooks(golden_parts: Parts, tiny_dir: Path) -> None:
    g = load_file(tiny_dir / "golden_step.safetensors")
    unet = golden_parts.unet
    sinusoid = timestep_embedding(g["input.t"], unet.cfg.dim)
    assert diff(sinusoid, g["cond.time_embed.in"]) < TOL
    emb = unet.time_embed(sinusoid)
    assert diff(emb, g["cond.time_embed.out"]) < TOL
    layer = unet.input_blocks[1][0].emb_layers(emb.repeat_interleave(9, dim=0))
    assert diff(layer, g["cond.input_blocks.1.0.emb_layers.out"]) < TOL


def test_parity_diffusion_tables_and_timesteps(tiny_dir: Path) -> None:
    g = load_file(tiny_dir / "golden_step.safetensors")
    assert float((alphas_cumprod() - g["diffusion.alphas_cumprod_f64"]).abs().max()) < 1e-12
    assert float(alphas_cumprod()[-1]) == 0.0
    assert timesteps(2) == [501, 1]
    assert len(timesteps(30)) == 31 and timesteps(30)[:2] == [991, 958] and timesteps(30)[-1] == 1
    try:
        UniAnimateDDIM(3)  # 999, 667, 334, 1: the release's NaN case
    except ValueError as exc:
        assert "999" in str(exc)
    else:
        raise AssertionError("3 steps must be refused")
