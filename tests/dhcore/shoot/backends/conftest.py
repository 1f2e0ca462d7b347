"""Tiny random checkpoints in the public layouts, written once per session and installed per test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dhcore.models import registry
from dhcore.shoot.backends.tiny import write_tiny_arc2face, write_tiny_cosmicman
from dhcore.shoot.base import ShootInputs


@pytest.fixture(scope="session")
def tiny_arc2face_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_arc2face(tmp_path_factory.mktemp("tiny_arc2face"))


@pytest.fixture(scope="session")
def tiny_cosmicman_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_cosmicman(tmp_path_factory.mktemp("tiny_cosmicman"))


@pytest.fixture(scope="session")
def _installed_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def models_root(_installed_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DH_MODELS_DIR for this test: a session-wide store the tiny models get added to on demand."""
    monkeypatch.setenv("DH_MODELS_DIR", str(_installed_root))
    return _installed_root


@pytest.fixture
def arc2face_installed(models_root: Path, tiny_arc2face_src: Path) -> Path:
    if not (models_root / "arc2face").is_dir():
        registry.add("arc2face", tiny_arc2face_src)
    return registry.resolve("arc2face")


@pytest.fixture
def cosmicman_installed(models_root: Path, tiny_cosmicman_src: Path) -> Path:
    if not (models_root / "cosmicman_sdxl").is_dir():
        registry.add("cosmicman_sdxl", tiny_cosmicman_src)
    return registry.resolve("cosmicman_sdxl")


@pytest.fixture
def embedding_file(tmp_path: Path):
    """make(seed) -> a .npy ArcFace-like vector (unit length, as the face stack writes it)."""

    def make(seed: int, scale: float = 1.0) -> Path:
        vector = np.random.default_rng(seed).normal(size=512)
        vector = (scale * vector / np.linalg.norm(vector)).astype(np.float32)
        path = tmp_path / f"identity_{seed}_{scale}.npy"
        np.save(path, vector)
        return path

    return make


def _shoot_inputs(**overrides: object) -> ShootInputs:
    base: dict[str, object] = dict(
        identity_photos=(), identity_embedding=None, template=None, prompt=None, negative_prompt=None,
        seed=0, width=32, height=32,
    )  # fmt: skip
    base.update(overrides)
    return ShootInputs(**base)  # type: ignore[arg-type]


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        assert img.format == "PNG" and img.mode == "RGB"
        return np.asarray(img).astype(np.int16)


@pytest.fixture
def make_inputs():
    """make_inputs(**fields) -> ShootInputs with neutral defaults (32x32, seed 0, nothing set)."""
    return _shoot_inputs


@pytest.fixture
def read_png():
    """read_png(path) -> int16 [H, W, 3] pixels (asserts it is an RGB PNG)."""
    return _read_png
