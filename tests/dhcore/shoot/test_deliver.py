"""Stage shoot.deliver: size and format of the delivered files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dhcore.shoot import deliver
from tests.dhcore.shoot.shoot_helpers import read_rgb, write_rgb


def _image(tmp_path: Path, w: int, h: int) -> Path:
    rng = np.random.default_rng(0)
    return write_rgb(tmp_path / f"src_{w}x{h}.png", rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


def test_png_same_size_is_lossless(tmp_path: Path) -> None:
    src = _image(tmp_path, 64, 80)
    result = deliver.STAGE.call(
        tmp_path / "out", deliver.Params(width=64, height=80, file_name="a_00.png"), image=src
    )
    out = result.outputs["image"]
    assert out.kind == "image" and out.meta == {"width": 64, "height": 80, "format": "png", "resized": False}
    assert np.array_equal(read_rgb(out.path), read_rgb(src))


def test_jpg_resized_and_deterministic(tmp_path: Path) -> None:
    src = _image(tmp_path, 100, 100)
    params = deliver.Params(width=48, height=64, format="jpg", jpeg_quality=90)
    a = deliver.STAGE.call(tmp_path, params.model_copy(update={"file_name": "a.jpg"}), image=src).outputs[
        "image"
    ]
    deliver.STAGE.call(tmp_path, params.model_copy(update={"file_name": "b.jpg"}), image=src)
    assert a.path.read_bytes()[:3] == b"\xff\xd8\xff" and a.meta["resized"]
    assert read_rgb(a.path).shape == (64, 48, 3)
    assert (tmp_path / "a.jpg").read_bytes() == (tmp_path / "b.jpg").read_bytes()


def test_file_name() -> None:
    assert deliver.file_name("astronaut", 3, "jpg") == "astronaut_03.jpg"
