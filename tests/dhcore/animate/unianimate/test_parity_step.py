"""Parity of one UNet call and one DDIM step with the reference's `golden_step` (F = 8, t = 501).

Tolerance 2e-4 on the outputs (|max| ≈ 2; attention through SDPA instead of the explicit
formula moves them by ~5e-5, README 2.4); the input concatenation isolates every embedder."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from dhcore.animate.unianimate.components import Parts
from dhcore.animate.unianimate.scheduler import UniAnimateDDIM

TOL = 2e-4


def diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return float((a.float() - b.float()).abs().max())


@pytest.fixture(scope="module")
def golden(tiny_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(tiny_dir / "golden_step.safetensors")


def cond_kwargs(g: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {"image": g["input.image_embed"], "pose": g["input.dwpose_uint8"].float() / 255,
            "ref_latent": g["input.randomref_latent"]}  # fmt: skip


@torch.no_grad()
def test_parity_unet_call_cond_uncond_and_inputs(
    golden_parts: Parts, golden: dict[str, torch.Tensor]
) -> None:
    unet, g = golden_parts.unet, golden
    seen: dict[str, torch.Tensor] = {}
    hooks = [
        unet.get_submodule(name).register_forward_hook(lambda m, i, o, name=name: seen.setdefault(name, o))
        for name in (
            "pre_image_condition",
            "dwpose_embedding",
            "randomref_embedding2",
            "middle_block.3",
            "out",
        )
    ]
    pre = unet.input_blocks[0][0].register_forward_pre_hook(lambda m, i: seen.setdefault("in0", i[0]))
    try:
        y = unet(g["input.xt"], g["input.t"], **cond_kwargs(g))
    finally:
        for h in (*hooks, pre):
            h.remove()
    assert diff(seen["in0"], g["cond.input_blocks.0.0.in"]) < 1e-5  # reference frame + [latent ; pose]
    assert diff(seen["pre_image_condition"], g["cond.pre_image_condition.out"]) < 1e-5
    assert diff(seen["dwpose_embedding"], g["cond.dwpose_embedding.out"]) < 1e-5
    assert diff(seen["randomref_embedding2"], g["cond.randomref_embedding2.out"]) < 1e-5
    # at the 2x1 middle level every GroupNorm normalises one channel over 2 (or 18) values, which
    # amplifies rounding: 5.5e-3 of |max| 14.7 here, with SDPA or explicit attention alike
    scale = float(g["cond.middle_block.3.out"].abs().max())
    assert diff(seen["middle_block.3"], g["cond.middle_block.3.out"]) < 1e-3 * scale
    assert diff(seen["out"], g["cond.out.out"]) < TOL
    assert diff(y, g["output.y_out"]) < TOL
    assert diff(unet(g["input.xt"], g["input.t"]), g["output.u_out"]) < TOL


@torch.no_grad()
def test_parity_local_image_variant(golden_parts: Parts, golden: dict[str, torch.Tensor]) -> None:
    g = golden
    f = g["input.xt"].shape[2]
    local = (
        (g["input.local_image_uint8"].float() / 255).permute(2, 0, 1)[None, :, None].expand(-1, -1, f, -1, -1)
    )
    kwargs = {
        "image": g["input.image_embed"],
        "pose": g["input.dwpose_uint8"].float() / 255,
        "local_image": local,
    }
    assert diff(golden_parts.unet(g["input.xt"], g["input.t"], **kwargs), g["output.y_out_local"]) < TOL


@torch.no_grad()
def test_parity_batched_cfg_rows_equal_separate_calls(
    golden_parts: Parts, golden: dict[str, torch.Tensor]
) -> None:
    """An unconditional row of a batch is the release's call with every condition None."""
    g, unet = golden, golden_parts.unet
    c = cond_kwargs(g)
    both = unet(
        g["input.xt"].repeat(2, 1, 1, 1, 1), g["input.t"].repeat(2),
        image=c["image"].repeat(2, 1, 1), pose=c["pose"].repeat(2, 1, 1, 1, 1), ref_latent=c["ref_latent"].repeat(2, 1, 1, 1),
        keep=torch.tensor([False, True]),
    )  # fmt: skip
    assert diff(both[:1], g["output.u_out"]) < TOL
    assert diff(both[1:], g["output.y_out"]) < TOL


def test_parity_ddim_step_with_and_without_cfg(golden: dict[str, torch.Tensor]) -> None:
    g = golden
    ddim = UniAnimateDDIM(2)
    assert ddim.timesteps[0] == int(g["input.t"])
    assert diff(ddim.x0(g["output.y_out"], 501, g["input.xt"]), g["output.ddim_nocfg.x0"]) < 1e-6
    assert diff(ddim.step(g["output.y_out"], 0, g["input.xt"]), g["output.ddim_nocfg.xt_prev"]) < 1e-6
    guided = g["output.u_out"] + 2.5 * (g["output.y_out"] - g["output.u_out"])
    assert diff(guided, g["output.guided"]) < 1e-6
    assert diff(ddim.x0(guided, 501, g["input.xt"]), g["output.ddim_cfg.x0"]) < 1e-6
    assert diff(ddim.step(guided, 0, g["input.xt"]), g["output.ddim_cfg.xt_prev"]) < 1e-6
