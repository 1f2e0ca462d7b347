"""Shared fixtures of the face tests: packaged photos, the dlib analyzer, an isolated model store."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.face.faces import FaceAnalyzer, load_analyzer, read_image
from dhcore.models import registry


# -- photos -----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


@pytest.fixture(scope="session")
def hopper_path() -> Path:
    import matplotlib.cbook

    return Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


@pytest.fixture(scope="session")
def t1_image() -> np.ndarray:
    import insightface

    return read_image(Path(insightface.__file__).parent / "data" / "images" / "t1.jpg")


@pytest.fixture(scope="session")
def dlib_faces() -> FaceAnalyzer:
    return load_analyzer("dlib")


@pytest.fixture
def astronaut_path(tmp_path: Path, astronaut: np.ndarray) -> Path:
    path = tmp_path / "astronaut.png"
    cv2.imwrite(str(path), astronaut[:, :, ::-1])
    return path


# -- model registry ---------------------------------------------------------------------------
@pytest.fixture
def models_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty model store; registry entries with public hashes are relaxed so tiny models fit."""
    root = tmp_path / "models"
    monkeypatch.setenv("DH_MODELS_DIR", str(root))
    for model_id in ("inswapper_128", "buffalo_l"):
        monkeypatch.setitem(registry.REGISTRY, model_id, replace(registry.get(model_id), sha256={}))
    return root
