"""FASHN VTON v1.5's transformer: the release's checkpoint layout, a tiny model's forward, the sampler.

`release_layout` is the release's state dict (names and shapes) as its public code builds it
(fashn_vton/tryon_mmdit.py, TryOnModel() with its defaults), written down here independently of
dhcore's model: the contract a downloaded model.safetensors must meet.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dhcore.models.state_dict import check_keys, read_state_dict
from dhcore.tryon.fashn.model import Config, TryOnModel, rotary_angles, rotate
from dhcore.tryon.fashn.sampling import sample, schedule

TINY = Config(height=48, width=32, hidden=48, heads=2, double_blocks=1, single_blocks=1, mixer_blocks=1,
              patch=8, axes=(4, 10, 10))  # fmt: skip


def release_layout(c: Config | None = None) -> dict[str, tuple[int, ...]]:
    c = c or Config()
    h, m, d, p, ch = c.hidden, c.hidden * c.mlp_ratio, c.head_dim, c.patch, c.channels

    def linear(name: str, out: int, inp: int) -> dict[str, tuple[int, ...]]:
        return {f"{name}.weight": (out, inp), f"{name}.bias": (out,)}

    def qk(name: str) -> dict[str, tuple[int, ...]]:
        return {f"{name}.query_norm.scale": (d,), f"{name}.key_norm.scale": (d,)}

    def single(name: str) -> dict[str, tuple[int, ...]]:
        return {**linear(f"{name}.linear1", 3 * h + m, h), **linear(f"{name}.linear2", h, h + m),
                **qk(f"{name}.norm"), **linear(f"{name}.modulation.lin", 3 * h, h)}  # fmt: skip

    layout = {
        **linear("t_embedder.mlp.in_layer", h, 256), **linear("t_embedder.mlp.out_layer", h, h),
        "y_embedder.weight": (c.categories + 1, h),
        "x_embedder.proj.weight": (h, 2 * ch + 1, p, p), "x_embedder.proj.bias": (h,),
        "garment_embedder.proj.weight": (h, ch + 1, p, p), "garment_embedder.proj.bias": (h,),
        "patch_mixer_token": (1, 1, ch * p * p),
        **linear("final_layer.linear", ch * p * p, h), **linear("final_layer.adaLN_modulation.1", 2 * h, h),
    }  # fmt: skip
    for i in range(c.mixer_blocks):
        layout |= single(f"x_patch_mixer.{i}")
    for i in range(c.double_blocks):
        for s in ("img", "txt"):
            b = f"double_blocks.{i}.{s}"
            layout |= {**linear(f"{b}_mod.lin", 6 * h, h), **linear(f"{b}_attn.qkv", 3 * h, h),
                       **qk(f"{b}_attn.norm"), **linear(f"{b}_attn.proj", h, h),
                       **linear(f"{b}_mlp.0", m, h), **linear(f"{b}_mlp.2", h, m)}  # fmt: skip
    for i in range(c.single_blocks):
        layout |= single(f"single_blocks.{i}")
    return layout


def test_the_release_checkpoint_layout_is_the_models() -> None:
    with torch.device("meta"):
        model = TryOnModel()
    layout = release_layout()
    check_keys(layout, model.state_dict(), "dhcore TryOnModel")  # raises on any difference
    assert len(layout) == 366  # 14 embedder/final, 8 per single-stream block (20), 24 per double (8)
    params = sum(v.numel() for k, v in model.state_dict().items() if k != "patch_mixer_token")
    assert 0.9e9 < params < 1.0e9  # the release's "972M"


def test_a_checkpoint_with_the_release_names_loads_and_a_wrong_one_is_named(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    from dhcore.errors import ModelError

    gen = torch.Generator().manual_seed(0)
    tensors = {k: torch.randn(shape, generator=gen) * 0.02 for k, shape in release_layout(TINY).items()}
    save_file(tensors, str(tmp_path / "model.safetensors"))
    state = read_state_dict(tmp_path / "model.safetensors")
    model = TryOnModel(TINY)
    check_keys(release_layout(TINY), state, "model.safetensors")
    model.load_state_dict(state, strict=True)
    assert torch.equal(
        model.double_blocks[0].txt_attn.qkv.weight, tensors["double_blocks.0.txt_attn.qkv.weight"]
    )
    del state["final_layer.linear.bias"]
    with pytest.raises(ModelError, match="1 missing key.*final_layer.linear.bias"):
        check_keys(release_layout(TINY), state, "model.safetensors")


def inputs(batch: int = 2, seed: int = 0) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    shape = (batch, TINY.channels, TINY.height, TINY.width)
    pose = (batch, 1, TINY.height, TINY.width)
    return {
        "person": torch.rand(shape, generator=gen) * 2 - 1, "person_pose": torch.rand(pose, generator=gen),
        "garment": torch.rand(shape, generator=gen) * 2 - 1, "garment_pose": torch.rand(pose, generator=gen),
        "category": torch.tensor([1, 2][:batch]),
    }  # fmt: skip


def test_a_tiny_model_predicts_a_velocity_per_pixel_that_depends_on_the_garment() -> None:
    torch.manual_seed(0)
    model = TryOnModel(TINY).eval()
    x, t = torch.randn(2, 3, 48, 32), torch.tensor([0.1, 0.7])
    cond = inputs()
    with torch.no_grad():
        v = model(x, t, **cond)
        assert v.shape == (2, 3, 48, 32) and torch.isfinite(v).all()
        other = cond | {"garment": -cond["garment"]}
        assert not torch.allclose(model(x, t, **other), v, atol=1e-5)
        # the dropped half sees no condition at all: any garment, any category gives the same velocity
        drop = torch.zeros(2, dtype=torch.bool)
        assert torch.allclose(model(x, t, **cond, keep=drop), model(x, t, **other, keep=drop), atol=1e-6)
        # each batch item is its own: the first item's output ignores the second's inputs
        swapped = {k: torch.stack([v_[0], v_[0]]) for k, v_ in cond.items()}
        single = model(torch.stack([x[0], x[0]]), torch.stack([t[0], t[0]]), **swapped)
        assert torch.allclose(single[0], v[0], atol=1e-5)


def test_rotary_positions_rotate_without_scaling() -> None:
    ids = torch.stack(torch.meshgrid(torch.zeros(1), torch.arange(6.0), torch.arange(4.0), indexing="ij"), -1)
    angles = rotary_angles(ids.reshape(1, -1, 3), TINY.axes, TINY.theta)
    q = torch.randn(1, 2, 24, TINY.head_dim)
    rotated = rotate(q, angles)
    assert torch.allclose(rotated.norm(dim=-1), q.norm(dim=-1), atol=1e-5)
    assert torch.allclose(rotated[:, :, 0], q[:, :, 0])  # position (0, 0, 0) is not rotated
    # attention scores depend on the offset only: shifting both positions alike changes nothing
    k = torch.randn(1, 2, 24, TINY.head_dim)
    shifted = rotary_angles(ids.reshape(1, -1, 3) + torch.tensor([0.0, 3.0, 2.0]), TINY.axes, TINY.theta)
    scores = rotate(q, angles) @ rotate(k, angles).transpose(-1, -2)
    again = rotate(q, shifted) @ rotate(k, shifted).transpose(-1, -2)
    assert torch.allclose(scores, again, atol=1e-4)


def test_the_sampler_runs_noise_to_image_deterministically() -> None:
    times = schedule(30)
    assert times[0] == 0.0 and times[-1] == 1.0 and all(a < b for a, b in zip(times, times[1:], strict=False))
    assert times[1] - times[0] < times[-1] - times[-2]  # small steps while the image is mostly noise
    torch.manual_seed(0)
    model = TryOnModel(TINY).eval()
    cond = inputs()
    first = sample(model, cond, steps=3, generator=torch.Generator().manual_seed(7))
    again = sample(model, cond, steps=3, generator=torch.Generator().manual_seed(7))
    assert first.shape == (2, 3, 48, 32) and torch.equal(first, again)
    assert first.min() >= -1 and first.max() <= 1


def test_parity_with_the_release_code_on_a_tiny_random_model() -> None:
    """data/fashn_parity_outputs.npz: the unmodified release TryOnModel's outputs (conditional and guidance's
    unconditional) for this tiny config, with every parameter drawn from a generator seeded by its name (as
    below) and these inputs; only the outputs are stored, no weights."""
    import zlib

    config = Config(height=16, width=12, hidden=24, heads=2, double_blocks=1, single_blocks=1, mixer_blocks=1,
                    patch=4, axes=(2, 4, 6))  # fmt: skip
    model = TryOnModel(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():  # the release's parameter names (the checkpoint contract)
            g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
            p.copy_((torch.randn(p.shape, generator=g) * 0.1).half().float())
    g = torch.Generator().manual_seed(1)
    x, t = torch.randn(2, 3, 16, 12, generator=g), torch.tensor([0.2, 0.8])
    given = {
        "person": torch.rand(2, 3, 16, 12, generator=g) * 2 - 1,
        "garment": torch.rand(2, 3, 16, 12, generator=g) * 2 - 1,
        "person_pose": torch.rand(2, 1, 16, 12, generator=g),
        "garment_pose": torch.rand(2, 1, 16, 12, generator=g),
        "category": torch.tensor([1, 3]),
    }
    golden = np.load(Path(__file__).parent / "data" / "fashn_parity_outputs.npz")
    with torch.no_grad():
        assert torch.allclose(model(x, t, **given), torch.from_numpy(golden["velocity"]), atol=1e-5)
        dropped = model(x, t, **given, keep=torch.zeros(2, dtype=torch.bool))
        assert torch.allclose(dropped, torch.from_numpy(golden["unconditional"]), atol=1e-5)
