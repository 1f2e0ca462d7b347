"""Checkpoint contract: MimicMotion_1-1.pth and the SVD files load key for key into our modules.

Full size: tensors with exactly the manifest keys and shapes (on the `meta` device) go through the
loader's key check. Tiny size: random tensors written in the download layout (.pth, fp16
safetensors), registered, converted and loaded. Bad files name the file and the keys.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from diffusers import AutoencoderKLTemporalDecoder
from safetensors.torch import load_file, save_file
from transformers import CLIPVisionModelWithProjection

from dhcore.animate.animate_anyone.checkpoints import load_into
from dhcore.animate.animate_anyone.components import clip_vision_config
from dhcore.animate.mimicmotion.components import RELEASE_FILE, ModelIds, load_components, load_net
from dhcore.animate.mimicmotion.tiny import (
    TINY_UNET,
    random_release_state,
    register_release_folders,
    write_release_folders,
)
from dhcore.errors import ModelError
from dhcore.models import registry


@pytest.fixture(scope="module")
def manifests(reference_dir: Path) -> Path:
    return reference_dir / "manifests"


def _meta_state(path: Path) -> dict[str, torch.Tensor]:
    return {k: torch.empty(shape, device="meta") for k, shape in json.loads(path.read_text()).items()}


def _shapes(module: torch.nn.Module) -> dict[str, list[int]]:
    return {k: list(v.shape) for k, v in module.state_dict().items()}


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_checkpoint_release_manifest_loads_into_the_full_size_net(manifests: Path) -> None:
    config = json.loads((manifests / "svd_base_configs" / "unet_config.json").read_text())
    state = _meta_state(manifests / "MimicMotion_1-1.json")
    net = load_net(config, state, "manifest MimicMotion_1-1.pth")  # raises on any missing/unexpected key
    assert _shapes(net) == {k: list(v.shape) for k, v in state.items()}
    summary = json.loads((manifests / "_summary.json").read_text())
    assert _count(net) == summary["MimicMotion_1-1"]["num_parameter_elements"]
    assert _count(net.pose_net) == summary["pose_net"]["num_parameter_elements"]
    assert list(net.state_dict())[-19] == "pose_net.scale"  # PoseNet's own parameter comes first


def test_checkpoint_svd_manifests_load_into_vae_and_image_encoder(manifests: Path) -> None:
    configs = manifests / "svd_base_configs"
    with torch.device("meta"):
        vae = AutoencoderKLTemporalDecoder.from_config(json.loads((configs / "vae_config.json").read_text()))
        encoder = CLIPVisionModelWithProjection(
            clip_vision_config(json.loads((configs / "image_encoder_config.json").read_text()))
        )
    load_into(vae, _meta_state(manifests / "svd_vae.json"), "manifest svd vae")
    load_into(encoder, _meta_state(manifests / "svd_image_encoder.json"), "manifest svd image encoder")
    summary = json.loads((manifests / "_summary.json").read_text())
    assert _count(vae) == summary["svd_vae"]["num_parameter_elements"]
    assert _count(encoder) == summary["svd_image_encoder"]["num_parameter_elements"]


def test_checkpoint_release_file_without_prefixes_is_a_located_error(manifests: Path) -> None:
    """The release loader (strict=False) would silently load nothing from such a file."""
    config = json.loads((manifests / "svd_base_configs" / "unet_config.json").read_text())
    state = _meta_state(manifests / "unet.json")
    with pytest.raises(ModelError) as err:
        load_net(config, state, "/models/mimicmotion/MimicMotion_1-1.pth")
    msg = str(err.value)
    assert msg.startswith("/models/mimicmotion/MimicMotion_1-1.pth: does not match")
    assert (
        "1447 missing key(s): unet.conv_in.weight" in msg and "1428 unexpected key(s): conv_in.weight" in msg
    )


def _install(tmp_path: Path, release: dict[str, torch.Tensor] | None = None) -> tuple[ModelIds, dict]:
    state = release if release is not None else random_release_state(seed=3)
    ids = register_release_folders(*write_release_folders(tmp_path / "download", state), tmp_path / "store")
    return ids, state


def test_checkpoint_tiny_download_layout_roundtrip(tmp_path: Path) -> None:
    ids, state = _install(tmp_path)
    parts = load_components(ids, torch.float32, tmp_path / "store")
    loaded = parts.net.state_dict()
    assert list(loaded) == list(state)
    assert all(torch.equal(loaded[k], v) for k, v in state.items())
    assert list(parts.net.unet.config.block_out_channels) == TINY_UNET["block_out_channels"]
    # SVD's fp16 files are cast to the requested dtype
    assert {p.dtype for m in parts.modules() for p in m.parameters()} == {torch.float32}
    assert parts.scheduler_config["prediction_type"] == "v_prediction"


def test_checkpoint_shape_mismatch_names_file_and_key(tmp_path: Path) -> None:
    state = random_release_state(seed=3)
    state["pose_net.final_proj.weight"] = torch.zeros(16, 128, 1, 1)
    ids, _ = _install(tmp_path, state)
    with pytest.raises(ModelError) as err:
        load_components(ids, root=tmp_path / "store")
    msg = str(err.value)
    assert RELEASE_FILE in msg
    assert "pose_net.final_proj.weight [16, 128, 1, 1] (expected [32, 128, 1, 1])" in msg


def test_checkpoint_missing_and_unexpected_keys_are_listed(tmp_path: Path) -> None:
    state = random_release_state(seed=3)
    for k in sorted(k for k in state if k.startswith("unet.down_blocks.0"))[:6]:
        del state[k]
    state["unet.extra.weight"] = torch.zeros(1)
    ids, _ = _install(tmp_path, state)
    with pytest.raises(ModelError, match=r"6 missing key\(s\): unet\.down_blocks\.0.*… 1 more.*1 unexpected"):
        load_components(ids, root=tmp_path / "store")


def test_checkpoint_wrong_vae_file_names_the_file(tmp_path: Path) -> None:
    ids, _ = _install(tmp_path)
    vae_file = tmp_path / "download" / "svd" / "vae" / "diffusion_pytorch_model.fp16.safetensors"
    state = load_file(vae_file)
    del state["decoder.time_conv_out.weight"]
    save_file(state, str(vae_file))
    registry.add(ids.base, tmp_path / "download" / "svd", tmp_path / "store")
    with pytest.raises(ModelError) as err:
        load_components(ids, root=tmp_path / "store")
    assert "vae/diffusion_pytorch_model.fp16.safetensors" in str(err.value)
    assert "1 missing key(s): decoder.time_conv_out.weight" in str(err.value)


def test_checkpoint_missing_models_name_each_file_and_the_add_command(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as err:
        load_components(ModelIds(), root=tmp_path / "empty")
    msg = str(err.value)
    assert str(tmp_path / "empty" / "mimicmotion" / RELEASE_FILE) in msg
    assert "image_encoder/model.fp16.safetensors" in msg and "scheduler/scheduler_config.json" in msg
    assert "dh models add mimicmotion PATH" in msg and "dh models add svd_xt_1_1 PATH" in msg
