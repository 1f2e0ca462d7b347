"""Fixtures of the UniAnimate tests: the shared reference data (skip when absent), the reference's
tiny modules loaded by name, and a single torch thread."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from dhcore.animate.unianimate.clip import OpenClip
from dhcore.animate.unianimate.components import Parts
from dhcore.animate.unianimate.config import CLIP_TINY, TINY, VAE_TINY
from dhcore.animate.unianimate.unet import UniAnimateUNet, use_explicit_attention
from dhcore.animate.unianimate.vae import build_vae, vae_state

REPO = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    base = Path(os.environ["DH_SHARED_DIR"]) if os.environ.get("DH_SHARED_DIR") else REPO.parent / "shared"
    folder = base / "reference" / "unianimate"
    if not (folder / "tiny" / "index.json").is_file():
        pytest.skip("UniAnimate reference data not found (../shared/reference/unianimate or $DH_SHARED_DIR)")
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


@pytest.fixture(scope="session")
def golden_parts(tiny_dir: Path) -> Parts:
    """The reference's tiny UNet (with its stand-in zero_y, explicit attention), VAE and OpenCLIP,
    loaded strictly."""
    unet = UniAnimateUNet(TINY).eval()
    unet.load_state_dict(load_file(tiny_dir / "unianimate_unet.safetensors"), strict=True)
    unet.zero_y = load_file(tiny_dir / "zero_y.safetensors")["zero_y"]
    use_explicit_attention(unet)
    clip = OpenClip(CLIP_TINY).eval()
    clip.load_state_dict(load_file(tiny_dir / "open_clip_tiny.safetensors"), strict=True)
    vae = build_vae(VAE_TINY).eval()
    checkpoint = load_file(tiny_dir / "sd21_vae_first_stage_model.safetensors")
    vae.load_state_dict(
        vae_state(VAE_TINY, checkpoint, "sd21_vae_first_stage_model.safetensors"), strict=True
    )
    return Parts(unet, vae, clip)
