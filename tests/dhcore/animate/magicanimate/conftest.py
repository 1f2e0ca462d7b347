"""Fixtures of the MagicAnimate tests: the shared reference data (skip when absent), golden
weights installed through the real model-folder loading path, and a single torch thread."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from dhcore.animate.magicanimate.components import Components, load_components
from dhcore.animate.magicanimate.tiny import STEMS, register_model_folders, write_model_folders

REPO = Path(__file__).resolve().parents[4]
CONFIG_FILES = {
    "unet": "unet_config.json",
    "appearance_encoder": "appearance_encoder_config.json",
    "densepose_controlnet": "controlnet_config.json",
    "text_encoder": "text_encoder_config.json",
    "vae": "vae_config.json",
}


def shared_reference() -> Path | None:
    """`../shared/reference/magicanimate` beside the checkout, or under $DH_SHARED_DIR."""
    base = Path(os.environ["DH_SHARED_DIR"]) if os.environ.get("DH_SHARED_DIR") else REPO.parent / "shared"
    folder = base / "reference" / "magicanimate"
    return folder if (folder / "tiny" / "index.json").is_file() else None


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    folder = shared_reference()
    if folder is None:
        pytest.skip(
            "MagicAnimate reference data not found (../shared/reference/magicanimate or $DH_SHARED_DIR)"
        )
    return folder


@pytest.fixture(scope="session")
def tiny_dir(reference_dir: Path) -> Path:
    return reference_dir / "tiny"


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models are slower with several threads, badly so on a loaded machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_configs(tiny: Path) -> dict[str, dict]:
    return {k: json.loads((tiny / "configs" / name).read_text()) for k, name in CONFIG_FILES.items()}


@pytest.fixture(scope="session")
def golden_parts(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Components:
    """The reference's tiny weights, written in the download layout, registered and loaded by
    the real loader (motion keys with the `module.` prefix the release loader strips)."""
    root = tmp_path_factory.mktemp("magicanimate_golden")
    states = {stem: load_file(tiny_dir / f"{stem}.safetensors") for stem in STEMS}
    folder = write_model_folders(root / "download", states, tiny_configs(tiny_dir), motion_prefix="module.")
    ids = register_model_folders(folder, root / "store")
    return load_components(ids, torch.float32, root / "store")
