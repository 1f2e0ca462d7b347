"""Checkpoint contract: MagicAnimate's release files load key for key into our modules.

Full size: tensors with exactly the manifest keys and shapes (on the `meta` device) go through the
same loader functions as real files. Tiny size: random tensors saved in the download layout,
registered and loaded. Bad files give errors naming the file and the key.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from dhcore.animate.animate_anyone.config import UNetConfig
from dhcore.animate.magicanimate import config as C
from dhcore.animate.magicanimate.components import (
    load_appearance,
    load_components,
    load_controlnet,
    load_text_encoder,
    load_unet,
)
from dhcore.animate.magicanimate.tiny import random_states, register_model_folders, write_model_folders
from dhcore.errors import ModelError


def manifest(folder: Path, stem: str) -> dict[str, torch.Tensor]:
    shapes = json.loads((folder / f"{stem}.json").read_text())
    return {k: torch.empty(shape, device="meta") for k, shape in shapes.items()}


def shapes_of(module: torch.nn.Module) -> dict[str, list[int]]:
    return {k: list(v.shape) for k, v in module.state_dict().items()}


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def count_sd15(manifests: Path) -> int:
    return sum(torch.Size(s).numel() for s in json.loads((manifests / "sd15_unet.json").read_text()).values())


@pytest.fixture(scope="module")
def manifests(reference_dir: Path) -> Path:
    return reference_dir / "manifests"


@pytest.fixture(scope="module")
def summary(manifests: Path) -> dict:
    return json.loads((manifests / "_summary.json").read_text())


def test_checkpoint_full_size_unet3d_takes_sd15_and_temporal_attention(
    manifests: Path, summary: dict
) -> None:
    cfg = UNetConfig.from_json(manifests / "sd15_unet_config_full.json")
    unet = load_unet(
        cfg,
        manifest(manifests, "sd15_unet"),
        "sd15 unet",
        manifest(manifests, "temporal_attention"),
        "motion",
    )
    assert shapes_of(unet) == json.loads((manifests / "unet3d_full.json").read_text())
    pe = summary["temporal_attention"]["persistent_buffer_keys"]
    assert {k for k, _ in unet.named_buffers()} == set(pe) and len(pe) == 40
    assert count(unet) == summary["temporal_attention"]["parameter_elements_excluding_buffers"] + count_sd15(
        manifests
    )
    assert len(unet.reference.processors) == 10  # mid + up_blocks.{1,2,3}: fusion_blocks midup


def test_checkpoint_full_size_appearance_controlnet_text(manifests: Path, summary: dict) -> None:
    cfg = UNetConfig.from_json(manifests / "sd15_unet_config_full.json")
    appearance = load_appearance(cfg, manifest(manifests, "appearance_encoder"), "appearance")
    assert shapes_of(appearance.unet) == json.loads((manifests / "appearance_encoder.json").read_text())
    assert count(appearance.unet) == summary["appearance_encoder"]["num_parameter_elements"]
    assert len(appearance.writer.names) == 10
    controlnet = load_controlnet(
        json.loads((manifests / "controlnet_config_full_assumed.json").read_text()),
        manifest(manifests, "densepose_controlnet"),
        "controlnet",
    )
    assert count(controlnet) == summary["densepose_controlnet"]["num_parameter_elements"]
    text = load_text_encoder(
        json.loads((manifests / "text_encoder_config_full.json").read_text()),
        manifest(manifests, "sd15_text_encoder"),
        "text",
    )
    assert count(text) == summary["sd15_text_encoder"]["num_parameter_elements"]


def test_checkpoint_motion_prefixes_are_stripped_and_extra_keys_refused(manifests: Path) -> None:
    cfg = UNetConfig.from_json(manifests / "sd15_unet_config_full.json")
    base = manifest(manifests, "sd15_unet")
    motion = {f"module.{k}": v for k, v in manifest(manifests, "temporal_attention").items()}
    load_unet(cfg, base, "sd15", motion, "motion")  # the release loader's `module.` prefix
    motion["module.down_blocks.0.motion_modules.9.extra"] = torch.empty(1, device="meta")
    with pytest.raises(ModelError, match=r"temporal_attention\.ckpt: .*1 unexpected key\(s\): down_blocks"):
        load_unet(cfg, base, "sd15", motion, "MagicAnimate/temporal_attention/temporal_attention.ckpt")


@pytest.mark.parametrize(
    ("stem", "loader"),
    [("appearance_encoder", "appearance"), ("densepose_controlnet", "controlnet"), ("sd15_unet", "unet")],
)
def test_checkpoint_wrong_shape_or_missing_key_names_file_and_key(
    manifests: Path, stem: str, loader: str
) -> None:
    cfg = UNetConfig.from_json(manifests / "sd15_unet_config_full.json")
    state = manifest(manifests, stem)
    key = "mid_block.attentions.0.proj_in.weight"
    state[key] = torch.empty(7, 7, device="meta")
    del state["conv_in.bias"]
    src = f"{stem}/diffusion_pytorch_model.safetensors"
    with pytest.raises(ModelError) as err:
        if loader == "appearance":
            load_appearance(cfg, state, src)
        elif loader == "controlnet":
            load_controlnet(
                json.loads((manifests / "controlnet_config_full_assumed.json").read_text()), state, src
            )
        else:
            load_unet(cfg, state, src, manifest(manifests, "temporal_attention"), "motion")
    msg = str(err.value)
    assert msg.startswith(src) and "1 missing key(s): conv_in.bias" in msg
    assert f"{key} [7, 7] (expected" in msg


def test_checkpoint_tiny_download_layout_roundtrip(tmp_path: Path) -> None:
    states = random_states(seed=3)
    ids = register_model_folders(write_model_folders(tmp_path / "dl", states), tmp_path / "store")
    parts = load_components(ids, torch.float32, tmp_path / "store")
    unet = parts.unet.state_dict()
    for stem in ("sd15_unet", "temporal_attention"):
        assert all(torch.equal(unet[k], v) for k, v in states[stem].items())
    app = parts.appearance.unet.state_dict()
    assert all(torch.equal(app[k], v) for k, v in states["appearance_encoder"].items())
    cn = parts.controlnet.state_dict()
    assert all(torch.equal(cn[k], v) for k, v in states["densepose_controlnet"].items())


def test_checkpoint_missing_file_is_named_with_its_model(tmp_path: Path) -> None:
    folder = write_model_folders(tmp_path / "dl", random_states(seed=4))
    ids = register_model_folders(folder, tmp_path / "store")
    (tmp_path / "store" / ids.magicanimate / C.MOTION_FILE).unlink()
    with pytest.raises(ModelError, match=r"magicanimate.*temporal_attention/temporal_attention\.ckpt"):
        load_components(ids, torch.float32, tmp_path / "store")
