"""Stage shoot.arcface: the identity in arc2face's ArcFace space, with tiny ONNX stand-ins for
the SCRFD detector and the ArcFace model (same signatures); missing models are ModelErrors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from dhcore.errors import InputError, ModelError
from dhcore.models import registry
from dhcore.shoot import arcface
from tests.dhcore.face.face_helpers import tiny_arcface, tiny_scrfd
from tests.dhcore.shoot.shoot_helpers import write_rgb


@pytest.fixture
def models_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "models"
    monkeypatch.setenv("DH_MODELS_DIR", str(root))
    monkeypatch.setitem(registry.REGISTRY, "buffalo_l", replace(registry.get("buffalo_l"), sha256={}))
    return root


def _install(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    tiny_scrfd(pack / "det_10g.onnx")
    tiny_arcface(pack / "w600k_r50.onnx", seed=3)
    registry.add("buffalo_l", pack)
    tiny_arcface(tmp_path / "a2f" / "arcface.onnx", seed=5)
    registry.add("arc2face_arcface", tmp_path / "a2f")


def _bright_square(tmp_path: Path, name: str, colour: tuple[int, int, int], at: int) -> Path:
    """A dark photo with one bright square: the tiny SCRFD's "face"."""
    image = np.full((256, 256, 3), 10, np.uint8)
    image[at : at + 96, at : at + 96] = colour
    return write_rgb(tmp_path / name, image)


def test_missing_models_name_the_ids(models_root: Path, tmp_path: Path) -> None:
    photo = _bright_square(tmp_path, "p.png", (250, 200, 180), 64)
    with pytest.raises(ModelError, match="arc2face_arcface") as err:
        arcface.STAGE.call(tmp_path / "id", photo=[photo])
    assert "dh models add arc2face_arcface" in str(err.value)
    assert arcface.model_ids() == ["buffalo_l", "arc2face_arcface"]


def test_unit_mean_embedding_of_the_photos(models_root: Path, tmp_path: Path) -> None:
    _install(tmp_path)
    a = _bright_square(tmp_path, "a.png", (250, 200, 180), 64)
    b = _bright_square(tmp_path, "b.png", (240, 210, 170), 96)
    result = arcface.STAGE.call(tmp_path / "out", photo=[a, b])
    path = result.outputs["embedding"].path
    assert path.name == "arcface.npy" and path.is_file()
    vector = np.load(path, allow_pickle=False)
    assert vector.shape == (512,) and vector.dtype == np.float32
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    each = arcface.arcface_embeddings([a, b])
    mean = (each[0] + each[1]) / 2
    assert np.allclose(vector, mean / np.linalg.norm(mean), atol=1e-5)
    assert result.outputs["embedding"].meta["space"] == "arc2face_arcface"


def test_a_photo_without_a_face_is_named(models_root: Path, tmp_path: Path) -> None:
    _install(tmp_path)
    dark = write_rgb(tmp_path / "dark.png", np.full((256, 256, 3), 5, np.uint8))
    with pytest.raises(InputError, match=rf"{dark}: no face found by the SCRFD detector"):
        arcface.arcface_identity([dark])
