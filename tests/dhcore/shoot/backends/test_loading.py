"""Loading public layouts: missing files name the layout, mismatching weights list the keys, .bin converts."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from dhcore.errors import ModelError
from dhcore.models import registry
from dhcore.models.state_dict import read_state_dict
from dhcore.shoot.backends.arc2face import SOURCES as ARC2FACE_SOURCES
from dhcore.shoot.backends.arc2face import Arc2FaceBackend, Arc2FaceParams, load_arc2face
from dhcore.shoot.backends.convert import bin_to_safetensors, main
from dhcore.shoot.backends.cosmicman import CosmicManBackend, CosmicManParams, load_cosmicman
from dhcore.shoot.backends.weights import layout_tree

CPU = torch.device("cpu")


@pytest.fixture
def arc2face_copy(tiny_arc2face_src: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_arc2face_src, tmp_path / "arc2face_copy"))


def test_missing_model_names_the_layout_and_the_command(
    make_inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models_root = tmp_path / "empty_models"
    monkeypatch.setenv("DH_MODELS_DIR", str(models_root))
    with pytest.raises(ModelError) as info:
        CosmicManBackend().generate(
            make_inputs(prompt="a portrait"), CosmicManParams(device="cpu"), tmp_path / "x.png"
        )
    msg = str(info.value)
    assert f"{models_root / 'cosmicman_sdxl'} is missing 17 of 17 files" in msg
    assert (
        "  unet/    <- cosmicman/CosmicMan-SDXL" in msg and "    diffusion_pytorch_model.safetensors" in msg
    )
    assert "  tokenizer_2/    <- stable-diffusion-xl-base-1.0 tokenizer_2/" in msg
    assert "dh models add cosmicman_sdxl PATH" in msg


def test_missing_encoder_file_explains_the_bin_conversion(arc2face_copy: Path) -> None:
    (arc2face_copy / "encoder/model.safetensors").unlink()
    with pytest.raises(ModelError) as info:
        load_arc2face(arc2face_copy, CPU, torch.float32)
    msg = str(info.value)
    assert "is missing 1 of 11 files: encoder/model.safetensors." in msg
    assert "python -m dhcore.shoot.backends.convert PATH/encoder/pytorch_model.bin" in msg
    assert layout_tree(arc2face_copy, registry.get("arc2face").files, ARC2FACE_SOURCES) in msg
    assert "  encoder/    <- FoivosPar/Arc2Face encoder/" in msg


def test_wrong_keys_are_listed_with_counts(arc2face_copy: Path) -> None:
    weights = arc2face_copy / "arc2face/diffusion_pytorch_model.safetensors"
    state = load_file(str(weights))
    dropped = sorted(k for k in state if k.startswith("down_blocks."))[:7]
    for key in dropped:
        del state[key]
    state["extra.weight"] = torch.zeros(3)
    state["conv_in.weight"] = torch.zeros(1, 2, 3, 3)
    save_file(state, str(weights))
    with pytest.raises(ModelError) as info:
        load_arc2face(arc2face_copy, CPU, torch.float32)
    msg = str(info.value)
    assert msg.startswith(f"arc2face UNet: {weights} (is it the right file for this folder?): does not match")
    assert "7 missing key(s): " in msg and ", … 2 more" in msg and dropped[0] in msg
    assert "1 unexpected key(s): extra.weight" in msg
    assert "1 with another shape key(s): conv_in.weight [1, 2, 3, 3] (expected [16, 4, 3, 3])" in msg


def test_parts_from_different_models_are_refused(arc2face_copy: Path, tiny_cosmicman_src: Path) -> None:
    for name in ("config.json", "model.safetensors"):
        shutil.copy(tiny_cosmicman_src / "text_encoder" / name, arc2face_copy / "encoder" / name)
    with pytest.raises(ModelError, match="attends to 512-wide text states but the encoder is 32 wide"):
        load_arc2face(arc2face_copy, CPU, torch.float32)


def test_corrupt_files_and_configs_are_model_errors(
    arc2face_copy: Path, tiny_cosmicman_src: Path, tmp_path: Path
) -> None:
    vae = arc2face_copy / "vae/diffusion_pytorch_model.safetensors"
    vae.write_bytes(vae.read_bytes()[:1000])
    with pytest.raises(ModelError, match=r"diffusion_pytorch_model.safetensors: cannot read weights"):
        load_arc2face(arc2face_copy, CPU, torch.float32)
    (arc2face_copy / "arc2face/config.json").write_text("{not json")
    with pytest.raises(ModelError, match=r"arc2face/config.json: not a readable JSON config"):
        load_arc2face(arc2face_copy, CPU, torch.float32)
    sdxl = Path(shutil.copytree(tiny_cosmicman_src, tmp_path / "sdxl"))
    config = json.loads((sdxl / "unet/config.json").read_text())
    config.pop("addition_embed_type")
    (sdxl / "unet/config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="not an SDXL UNet"):
        load_cosmicman(sdxl, CPU, torch.float32)


def test_public_key_spellings_load(tiny_arc2face_src: Path) -> None:
    """The tiny files carry `text_model.` CLIP keys and legacy VAE attention names, as public files do."""
    encoder_keys = load_file(str(tiny_arc2face_src / "encoder/model.safetensors")).keys()
    vae_keys = load_file(str(tiny_arc2face_src / "vae/diffusion_pytorch_model.safetensors")).keys()
    assert all(k.startswith("text_model.") for k in encoder_keys)
    assert "encoder.mid_block.attentions.0.query.weight" in vae_keys
    parts = load_arc2face(tiny_arc2face_src, CPU, torch.float32)
    assert "encoder.mid_block.attentions.0.to_q.weight" in parts.vae.state_dict()
    loaded = parts.text_encoder.state_dict()["embeddings.token_embedding.weight"]
    stored = load_file(str(tiny_arc2face_src / "encoder/model.safetensors"))[
        "text_model.embeddings.token_embedding.weight"
    ]
    assert torch.equal(loaded, stored)


def test_bin_converts_once_to_safetensors_and_refuses_pickled_code(
    arc2face_copy: Path, tmp_path: Path, capsys
) -> None:
    encoder = arc2face_copy / "encoder"
    state = load_file(str(encoder / "model.safetensors"))
    state["text_model.embeddings.position_ids"] = torch.arange(77)[None]  # older files carry this buffer
    (encoder / "model.safetensors").unlink()
    torch.save(state, encoder / "pytorch_model.bin")
    assert main([str(encoder / "pytorch_model.bin")]) == 0
    assert capsys.readouterr().out.strip() == str(encoder / "model.safetensors")
    converted = load_file(str(encoder / "model.safetensors"))
    assert converted.keys() == state.keys() and all(torch.equal(converted[k], state[k]) for k in state)
    parts = load_arc2face(arc2face_copy, CPU, torch.float32)  # the extra buffer key is tolerated
    assert parts.text_encoder.config.hidden_size == 512

    evil = tmp_path / "evil.bin"
    torch.save({"weight": torch.zeros(2), "payload": argparse.Namespace(run="code")}, evil)
    with pytest.raises(ModelError, match=r"evil.bin: cannot read weights \(UnpicklingError"):
        read_state_dict(evil)
    with pytest.raises(ModelError, match="evil.bin: cannot read weights"):
        bin_to_safetensors(evil)
    assert main([str(evil)]) == 1 and not (tmp_path / "model.safetensors").exists()


def test_registry_pins_the_installed_files(
    arc2face_installed: Path, embedding_file, make_inputs, tmp_path: Path
) -> None:
    """A swapped weight file after `dh models add` is a hash error, not a silent different model."""
    import os

    target = arc2face_installed / "scheduler/scheduler_config.json"
    original = target.read_bytes()
    stat = target.stat()
    try:
        target.write_bytes(original.replace(b"0.012", b"0.013"))
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
        with pytest.raises(ModelError, match="corrupt or wrong file"):
            Arc2FaceBackend().generate(
                make_inputs(identity_embedding=embedding_file(1)),
                Arc2FaceParams(device="cpu"),
                tmp_path / "x.png",
            )
    finally:
        target.write_bytes(original)
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
