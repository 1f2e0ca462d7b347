"""Shared diffusion helpers: device choice, size checks, PNG output, the component cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dhcore.errors import DhError, InputError
from dhcore.pool import ModelPool
from dhcore.shoot.backends import diffusion
from dhcore.shoot.backends.diffusion import DiffusionParams, cached, check_size, pick_device, write_png
from dhcore.shoot.backends.weights import layout_tree


def test_half_precision_falls_back_to_float32_without_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device(DiffusionParams()) == (torch.device("cpu"), torch.float32, [])
    device, dtype, warnings = pick_device(DiffusionParams(dtype="bfloat16"))
    assert (device.type, dtype) == ("cpu", torch.float32)
    assert warnings == ["dtype bfloat16 is not supported on cpu: using float32"]
    with pytest.raises(InputError, match="no CUDA device is available"):
        pick_device(DiffusionParams(device="cuda"))


def test_auto_prefers_cuda_in_half_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device(DiffusionParams()) == (torch.device("cuda"), torch.float16, [])
    assert pick_device(DiffusionParams(dtype="bfloat16"))[1] == torch.bfloat16
    assert pick_device(DiffusionParams(device="cpu")) == (torch.device("cpu"), torch.float32, [])


def test_sizes_must_be_multiples_of_8() -> None:
    check_size(512, 768, "x")
    with pytest.raises(
        InputError, match=r"^x: image sizes must be multiples of 8: width 500 -> 496 or 504, height 4 -> 8$"
    ):
        check_size(500, 4, "x")


def test_png_is_exact_8_bit_and_nan_is_refused(tmp_path: Path) -> None:
    from PIL import Image

    image = np.linspace(0, 1, 8 * 16 * 3, dtype=np.float32).reshape(8, 16, 3)
    out = tmp_path / "sub" / "a.png"
    write_png(image, out)
    with Image.open(out) as img:
        pixels = np.asarray(img)
    assert pixels.shape == (8, 16, 3) and np.array_equal(pixels, np.round(image * 255).astype(np.uint8))
    image[0, 0, 0] = np.nan
    with pytest.raises(DhError, match="b.png: the generated image contains NaN"):
        write_png(image, tmp_path / "b.png")


def test_cache_keeps_one_set_per_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diffusion, "POOL", ModelPool())
    loads: list[str] = []

    def load(tag: str):
        return lambda: loads.append(tag) or object()

    first = cached("a", ("k1",), load("a1"))
    assert cached("a", ("k1",), load("a1 again")) is first
    other_slot = cached("b", ("k1",), load("b1"))
    assert cached("a", ("k2",), load("a2")) is not first
    assert cached("b", ("k1",), load("b1 again")) is other_slot
    assert loads == ["a1", "b1", "a2"]
    diffusion.clear_cache()
    assert len(diffusion.POOL) == 0


def test_layout_tree_groups_files_by_folder(tmp_path: Path) -> None:
    tree = layout_tree(tmp_path, ("unet/config.json", "unet/w.safetensors", "README.md"), {"unet": "repo X"})
    assert tree == f"{tmp_path}/\n  unet/    <- repo X\n    config.json\n    w.safetensors\n  README.md"
