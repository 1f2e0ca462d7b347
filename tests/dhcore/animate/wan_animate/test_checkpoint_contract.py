"""Checkpoint contract of a Wan-Animate folder: the release configs match the published sizes, a
tiny folder in the release layout loads key for key, and a missing file, a wrong shape or a foreign
key is a ModelError naming the file and the key before diffusers sees the folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from diffusers import AutoencoderKLWan, WanAnimateTransformer3DModel
from safetensors.torch import load_file, save_file
from transformers import CLIPVisionConfig, CLIPVisionModel

from dhcore.animate.wan_animate import release
from dhcore.animate.wan_animate.backend import load_pipeline
from dhcore.animate.wan_animate.checkpoint import check_folder
from dhcore.animate.wan_animate.layout import FILES, TRANSFORMER_SHARDS, WAN_ANIMATE_ID
from dhcore.animate.wan_animate.tiny import write_folder
from dhcore.errors import ModelError
from dhcore.models import registry

CPU = torch.device("cpu")


def test_checkpoint_release_configs_match_the_published_sizes() -> None:
    with torch.device("meta"):
        transformer = WanAnimateTransformer3DModel.from_config(release.TRANSFORMER)
        encoder = CLIPVisionModel(CLIPVisionConfig(**release.IMAGE_ENCODER))
        AutoencoderKLWan.from_config(release.VAE)
    for name, module in (("transformer", transformer), ("image_encoder", encoder)):
        size, rounding, itemsize = release.PUBLISHED_BYTES[name]
        stored = sum(p.numel() for p in module.parameters()) * itemsize
        assert stored == pytest.approx(size, abs=rounding), name  # 17.27e9 float32 parameters: 69.10 GB
    assert len(transformer.blocks) == 40 and len(transformer.face_adapter) == 8


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "wan", seed=0)


def test_checkpoint_tiny_folder_in_the_release_layout_loads_through_the_registry(
    folder: Path, tmp_path: Path
) -> None:
    assert all((folder / rel).is_file() for rel in FILES)  # the declared layout is what diffusers writes
    check_folder(folder)  # no problem
    registry.add(WAN_ANIMATE_ID, folder, tmp_path / "store")
    pipe = load_pipeline(WAN_ANIMATE_ID, torch.float32, CPU, tmp_path / "store")
    assert type(pipe.transformer).__name__ == "WanAnimateTransformer3DModel"
    assert pipe.vae.dtype == torch.float32 and pipe.transformer.config.num_layers == 2


def test_checkpoint_missing_component_file_is_named(folder: Path, tmp_path: Path) -> None:
    registry.add(WAN_ANIMATE_ID, folder, tmp_path / "store")
    stored = registry.model_dir(WAN_ANIMATE_ID, tmp_path / "store")
    shutil.rmtree(stored / "image_encoder")
    with pytest.raises(ModelError) as err:
        load_pipeline(WAN_ANIMATE_ID, torch.float32, CPU, tmp_path / "store")
    assert str(stored / "image_encoder" / "model.safetensors") in str(err.value)
    assert "dh models add" in str(err.value)


def _rewrite(path: Path, change) -> None:
    state = load_file(str(path))
    change(state)
    save_file(state, str(path))


def test_checkpoint_wrong_shape_names_the_shard_and_the_key(folder: Path) -> None:
    index = json.loads(
        (folder / "transformer" / "diffusion_pytorch_model.safetensors.index.json").read_text()
    )
    key = "blocks.1.ffn.net.0.proj.weight"
    shard = folder / "transformer" / index["weight_map"][key]
    assert shard.name in TRANSFORMER_SHARDS
    _rewrite(shard, lambda s: s.__setitem__(key, torch.zeros(48, 24)))
    with pytest.raises(ModelError) as err:
        check_folder(folder)
    msg = str(err.value)
    assert f"{shard}: key {key!r} has shape [48, 24]" in msg and "[32, 24]" in msg
    assert str(folder / "transformer" / "config.json") in msg


def test_checkpoint_missing_and_foreign_keys_are_named(folder: Path) -> None:
    vae = folder / "vae" / "diffusion_pytorch_model.safetensors"
    _rewrite(
        vae, lambda s: (s.pop("decoder.conv_out.bias"), s.__setitem__("decoder.extra.weight", torch.zeros(1)))
    )
    with pytest.raises(ModelError) as err:
        check_folder(folder)
    msg = str(err.value)
    assert f"{vae}: missing keys ['decoder.conv_out.bias']" in msg
    assert f"{vae}: unexpected keys ['decoder.extra.weight']" in msg


def test_checkpoint_index_naming_a_missing_shard_is_named(folder: Path) -> None:
    shard = folder / "transformer" / TRANSFORMER_SHARDS[6]
    shard.unlink()
    with pytest.raises(ModelError, match=f"{shard}: missing"):
        check_folder(folder)
