"""Fixtures of the Animate Anyone tests: the shared reference data (skip when absent), golden
weights installed through the real release-folder loading path, and a single torch thread."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from dhcore.animate.animate_anyone.components import Components, load_components
from dhcore.animate.animate_anyone.config import GUIDANCE_TYPES, RELEASES, Release
from dhcore.animate.animate_anyone.tiny import register_release_folder, write_release_folder

REPO = Path(__file__).resolve().parents[4]


def shared_reference() -> Path | None:
    """`../shared/reference/animate_anyone` beside the checkout, or under $DH_SHARED_DIR."""
    base = Path(os.environ["DH_SHARED_DIR"]) if os.environ.get("DH_SHARED_DIR") else REPO.parent / "shared"
    folder = base / "reference" / "animate_anyone"
    return folder if (folder / "tiny" / "index.json").is_file() else None


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    folder = shared_reference()
    if folder is None:
        pytest.skip(
            "Animate Anyone reference data not found (../shared/reference/animate_anyone or $DH_SHARED_DIR)"
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


def golden_states(tiny: Path, release: Release) -> dict[str, dict[str, torch.Tensor]]:
    """The reference's tiny checkpoints per release file (MusePose and Champ reuse Moore's UNets
    and, for MusePose, its pose guider; each release has its own motion module file)."""
    moore = tiny / "moore_aa"
    states = {
        "denoising_unet.pth": load_file(moore / "denoising_unet.safetensors"),
        "reference_unet.pth": load_file(moore / "reference_unet.safetensors"),
        "motion_module.pth": load_file(
            tiny / ("musepose" if release.name == "musepose" else "moore_aa") / "motion_module.safetensors"
        ),
    }
    if release.name == "champ":
        for t in GUIDANCE_TYPES:
            states[f"guidance_encoder_{t}.pth"] = load_file(
                tiny / "champ" / f"guidance_encoder_{t}.safetensors"
            )
    else:
        states["pose_guider.pth"] = load_file(moore / "pose_guider.safetensors")
    return states


_LOADED: dict[str, Components] = {}


@pytest.fixture(scope="session")
def golden_models(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """release name -> Components loaded from a release-layout folder of the golden weights
    (written as .pth, registered, converted to safetensors by the real loader)."""
    root = tmp_path_factory.mktemp("golden_models")
    configs = tiny_dir / "configs"

    def get(name: str) -> Components:
        if name not in _LOADED:
            release = RELEASES[name]
            folder = write_release_folder(
                root / f"release_{name}",
                golden_states(tiny_dir, release),
                unet_config=json.loads((configs / "unet_config.json").read_text()),
                vae=(
                    json.loads((configs / "vae_config.json").read_text()),
                    load_file(tiny_dir / "shared" / "vae.safetensors"),
                ),
                image_encoder=(
                    json.loads((configs / "clip_vision_config.json").read_text()),
                    load_file(tiny_dir / "shared" / "image_encoder.safetensors"),
                ),
            )
            ids = register_release_folder(folder, release, root / "store")
            _LOADED[name] = load_components(release, ids, torch.float32, GUIDANCE_TYPES, root / "store")
        return _LOADED[name]

    return get
