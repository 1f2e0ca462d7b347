"""Fixtures of the MimicMotion tests: the shared reference data (skip when absent), the golden
weights installed through the real release-folder loading path, and a single torch thread."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from dhcore.animate.mimicmotion.components import load_components
from dhcore.animate.mimicmotion.pipeline import Components
from dhcore.animate.mimicmotion.tiny import register_release_folders, write_release_folders

REPO = Path(__file__).resolve().parents[4]


def shared_reference() -> Path | None:
    """`../shared/reference/mimicmotion` beside the checkout, or under $DH_SHARED_DIR."""
    base = Path(os.environ["DH_SHARED_DIR"]) if os.environ.get("DH_SHARED_DIR") else REPO.parent / "shared"
    folder = base / "reference" / "mimicmotion"
    return folder if (folder / "tiny" / "index.json").is_file() else None


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    folder = shared_reference()
    if folder is None:
        pytest.skip(
            "MimicMotion reference data not found (../shared/reference/mimicmotion or $DH_SHARED_DIR)"
        )
    return folder


@pytest.fixture(scope="session")
def tiny_dir(reference_dir: Path) -> Path:
    return reference_dir / "tiny"


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Tiny models are slower with several threads, badly so on a loaded machine (module scope:
    set before the module-scoped fixtures that run whole pipelines)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _config(tiny: Path, name: str) -> dict:
    return json.loads((tiny / "configs" / f"{name}.json").read_text())


@pytest.fixture(scope="session")
def golden_parts(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Components:
    """The reference's tiny weights written in the download layout (.pth, fp16 safetensors),
    registered and loaded by the production loader."""
    root = tmp_path_factory.mktemp("mimicmotion_golden")
    weights = tiny_dir / "weights"
    folders = write_release_folders(
        root / "download",
        load_file(weights / "MimicMotion_tiny.safetensors"),
        unet_config=_config(tiny_dir, "unet_config"),
        vae=(_config(tiny_dir, "vae_config"), load_file(weights / "svd_vae.safetensors")),
        image_encoder=(
            _config(tiny_dir, "image_encoder_config"),
            load_file(weights / "svd_image_encoder.safetensors"),
        ),
        scheduler=_config(tiny_dir, "scheduler_config"),
    )
    ids = register_release_folders(*folders, root / "store")
    return load_components(ids, torch.float32, root / "store")
