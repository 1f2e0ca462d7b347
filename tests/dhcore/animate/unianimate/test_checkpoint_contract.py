"""Checkpoint contract: the release files load key for key into our modules.

Full size: meta tensors with exactly the manifest keys and shapes go through the loader functions
real files use. Tiny size: random tensors in every release file layout (the UNet `.pth`, with or
without a `state_dict` wrapper; SD2.1 as safetensors or as the `.ckpt` dict; open_clip's `.bin`,
with or without `module.`), registered and loaded. A wrong file is a ModelError naming it and the key.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from dhcore.animate.unianimate import components
from dhcore.animate.unianimate.components import CLIP_FILE, SD21_FILE, UNET_FILE, read_vae_checkpoint
from dhcore.animate.unianimate.config import ARCHITECTURES, CLIP_FULL, FULL, TINY, VAE_FULL, Architecture
from dhcore.animate.unianimate.tiny import install_tiny, random_release, write_release
from dhcore.animate.unianimate.unet import UniAnimateUNet
from dhcore.animate.unianimate.vae import PREFIX, ldm_vae_shapes, vae_state
from dhcore.errors import ModelError

FULL_ARCH = Architecture(FULL, CLIP_FULL, VAE_FULL)


def manifest(reference_dir: Path, name: str) -> dict[str, list[int]]:
    return json.loads((reference_dir / "manifests" / f"{name}.json").read_text())


def meta_state(shapes: dict[str, list[int]]) -> dict[str, torch.Tensor]:
    return {k: torch.empty(s, device="meta") for k, s in shapes.items()}


def test_checkpoint_full_size_unet_manifest(reference_dir: Path) -> None:
    shapes = manifest(reference_dir, "unianimate_16f_32f_non_ema_223000")
    unet = components.build_unet(FULL_ARCH, meta_state(shapes), "manifest unianimate_16f_32f_non_ema_223000")
    assert {k: list(v.shape) for k, v in unet.state_dict().items()} == shapes
    assert sum(v.numel() for v in unet.state_dict().values()) == 1_416_564_300


def test_checkpoint_full_size_vae_and_clip_manifests(reference_dir: Path) -> None:
    vae_shapes = manifest(reference_dir, "v2-1_512-ema-pruned.first_stage_model")
    assert {k: list(v) for k, v in ldm_vae_shapes(VAE_FULL).items()} == vae_shapes
    converted = vae_state(VAE_FULL, meta_state(vae_shapes) | {"model.diffusion_model.x": torch.empty(1)}, "m")
    with torch.device("meta"):
        from dhcore.animate.unianimate.vae import build_vae

        vae = build_vae(VAE_FULL)
    vae.load_state_dict(converted, strict=True, assign=True)
    clip_shapes = manifest(reference_dir, "open_clip_pytorch_model.ViT-H-14")
    clip = components.build_clip(FULL_ARCH, meta_state(clip_shapes), "manifest open_clip ViT-H-14")
    assert {k: list(v.shape) for k, v in clip.state_dict().items()} == clip_shapes


def test_checkpoint_tiny_reference_keys_are_a_subset_of_the_full_ones(
    reference_dir: Path, tiny_dir: Path
) -> None:
    index = json.loads((tiny_dir / "index.json").read_text())["unianimate_unet.safetensors"]
    full = manifest(reference_dir, "unianimate_16f_32f_non_ema_223000")
    ours = UniAnimateUNet(TINY).state_dict()
    absent = set(full) - set(ours)
    assert not set(ours) - set(full)
    assert absent == set(index["full_keys_absent_in_tiny"])


def test_checkpoint_tiny_release_installs_and_loads_exactly(tmp_path: Path) -> None:
    root = tmp_path / "models"
    ids = install_tiny(tmp_path / "release", root)
    parts = components.load(ARCHITECTURES["tiny"], ids, torch.float32, root)
    files = random_release("tiny")
    unet, clip = parts.unet.state_dict(), parts.clip.state_dict()
    assert set(unet) == set(files[UNET_FILE]) and set(clip) == set(files[CLIP_FILE])
    assert all(torch.equal(unet[k], v) for k, v in files[UNET_FILE].items())
    assert all(torch.equal(clip[k], v) for k, v in files[CLIP_FILE].items())
    assert parts.unet.zero_y.shape == (1, 77, ARCHITECTURES["tiny"].unet.context_dim)
    assert torch.allclose(parts.unet.zero_y, parts.clip.empty_prompt_context())
    conv = parts.vae.state_dict()["encoder.conv_in.weight"]
    assert torch.equal(conv, files[SD21_FILE][PREFIX + "encoder.conv_in.weight"])


def test_checkpoint_release_layout_variants(tmp_path: Path) -> None:
    files = random_release("tiny")
    arch = ARCHITECTURES["tiny"]
    torch.save({"state_dict": files[UNET_FILE]}, tmp_path / "wrapped.pth")
    from dhcore.models.state_dict import read_state_dict

    components.build_unet(arch, read_state_dict(tmp_path / "wrapped.pth"), "wrapped.pth")
    torch.save({"state_dict": files[SD21_FILE]}, tmp_path / "v2-1_512-ema-pruned.ckpt")
    ckpt = read_vae_checkpoint(tmp_path / "v2-1_512-ema-pruned.ckpt")
    write_release(tmp_path, {SD21_FILE: files[SD21_FILE]})
    only_vae = read_vae_checkpoint(tmp_path / SD21_FILE)
    assert set(only_vae) == set(ldm_vae_shapes(arch.vae)) and len(ckpt) == len(only_vae) + 1
    components.load_vae(arch, ckpt, "v2-1_512-ema-pruned.ckpt")
    prefixed = {f"module.{k}": v for k, v in files[CLIP_FILE].items()}
    components.build_clip(arch, components.strip_module(prefixed), "open_clip_pytorch_model.bin")


@pytest.mark.parametrize("problem", ["missing", "unexpected", "reshaped"])
def test_checkpoint_bad_unet_file_names_file_and_key(problem: str) -> None:
    state = dict(random_release("tiny")[UNET_FILE])
    key = "input_blocks.1.0.in_layers.2.weight"
    if problem == "missing":
        del state[key]
    elif problem == "unexpected":
        state["input_blocks.99.weight"] = torch.zeros(1)
        key = "input_blocks.99.weight"
    else:
        state[key] = torch.zeros(3, 3)
    with pytest.raises(ModelError) as info:
        components.build_unet(
            ARCHITECTURES["tiny"], state, "/models/unianimate/unianimate_16f_32f_non_ema_223000.pth"
        )
    message = str(info.value)
    assert message.startswith("/models/unianimate/unianimate_16f_32f_non_ema_223000.pth: ") and key in message
    assert f"1 {problem if problem != 'reshaped' else 'with another shape'}" in message.replace(" key(s)", "")


def test_checkpoint_bad_vae_and_clip_files(tmp_path: Path) -> None:
    files = random_release("tiny")
    arch = ARCHITECTURES["tiny"]
    vae = dict(files[SD21_FILE])
    del vae[PREFIX + "decoder.conv_out.weight"]
    with pytest.raises(
        ModelError, match=r"sd21\.safetensors \(its first_stage_model\.\* keys\).*decoder\.conv_out\.weight"
    ):
        components.load_vae(arch, vae, "sd21.safetensors")
    clip = dict(files[CLIP_FILE])
    clip["visual.proj"] = torch.zeros(2, 2)
    with pytest.raises(ModelError, match=r"open_clip_pytorch_model\.bin.*visual\.proj \[2, 2\]"):
        components.build_clip(arch, clip, "open_clip_pytorch_model.bin")
    (tmp_path / "broken.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelError, match="broken.safetensors: cannot read weights"):
        read_vae_checkpoint(tmp_path / "broken.safetensors")
