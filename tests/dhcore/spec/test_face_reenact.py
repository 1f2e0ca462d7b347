"""The face_reenact spec kind: a valid spec loads and plans; a source without a face and a driving
video without a face are located errors."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from dhcore.demo.assets import png_writer
from dhcore.media.frames import FrameWriter
from dhcore.plan import plan
from dhcore.spec.loader import SpecError, load_spec
from tests import realdata

SPEC = """\
version: 1
kind: face_reenact
source: {source}
driver: {driver}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("face_reenact")
    png_writer(realdata.rgb("astronaut"))(root / "astronaut.png")
    png_writer(np.full((200, 200, 3), 180, np.uint8))(root / "blank.png")
    grace = np.ascontiguousarray(realdata.rgb("grace_hopper")[:512])
    with FrameWriter(root / "face.nut", Fraction(25), 512, 512) as writer:
        for dx in range(6):
            writer.write(np.roll(grace, dx, axis=1))
    with FrameWriter(root / "empty.nut", Fraction(25), 128, 128) as writer:
        for shade in range(6):
            writer.write(np.full((128, 128, 3), 100 + 10 * shade, np.uint8))
    return root


def write(folder: Path, name: str, source: str = "astronaut.png", driver: str = "face.nut") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(SPEC.format(source=source, driver=driver))
    return path


def test_valid_spec_loads_and_plans(folder: Path) -> None:
    p = plan(load_spec(write(folder, "ok")))
    assert [c.stage for c in p.calls] == ["face_reenact.mesh", "assemble", "face_reenact.figures"]
    assert {i.role for i in p.inputs} == {"source", "driver"} and set(p.outputs) == {"video"}


def test_faceless_source_and_driver_are_located(folder: Path) -> None:
    path = write(folder, "no_driver_face", driver="empty.nut")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert str(err.value) == (
        f"{path}:4:9: driver: {folder / 'empty.nut'}: no face found in the driving video (first 50 frames)"
    )
    with pytest.raises(SpecError, match=r":3:9: source: .*blank.png: no face found"):
        load_spec(write(folder, "no_source_face", source="blank.png"))


def test_the_liveportrait_backend_is_checked_at_its_fields(folder: Path, dh_home: Path) -> None:
    from tests.dhcore.reenact.test_liveportrait import write_tiny_model

    spec = folder / "liveportrait.yaml"
    body = SPEC.format(source="astronaut.png", driver="face.nut") + "backend: liveportrait\n"
    spec.write_text(body)
    with pytest.raises(SpecError, match=r":5:10: backend: model 'liveportrait' is not installed"):
        load_spec(spec)
    models = write_tiny_model(dh_home / "models")
    spec.write_text(body + "backend_params: {device: cpu, steps: 3}\n")
    with pytest.raises(SpecError, match=r":6:\d+: backend_params.steps: Extra inputs are not permitted"):
        load_spec(spec)
    spec.write_text(body + "backend_params: {device: cpu}\n")
    p = plan(load_spec(spec))
    assert [c.stage for c in p.calls] == ["face_reenact.liveportrait", "assemble", "face_reenact.figures"]
    assert p.calls[0].params.device == "cpu" and p.calls[0].params.stitching
    import torch

    torch.save({"fourth.bias": torch.zeros(3)}, models / "base_models" / "warping_module.pth")
    with pytest.raises(SpecError, match=r":5:10: backend: .*warping_module\.pth: has no tensor"):
        load_spec(spec)
