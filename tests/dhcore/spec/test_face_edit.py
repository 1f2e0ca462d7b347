"""The face_edit spec kind: a valid spec loads and plans; edits out of range, a photo with no face or
several faces, keyframes out of order and an empty edit are located errors."""

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
kind: face_edit
photo: {photo}
edits:
  smile: {smile}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("face_edit")
    png_writer(realdata.rgb("astronaut"))(root / "astronaut.png")
    png_writer(realdata.rgb("six_people"))(root / "group.png")
    png_writer(np.full((200, 200, 3), 180, np.uint8))(root / "blank.png")
    grace = np.ascontiguousarray(realdata.rgb("grace_hopper")[:512])
    with FrameWriter(root / "face.nut", Fraction(25), 512, 512) as writer:
        writer.write(np.stack([grace, np.roll(grace, 3, axis=1)]))
    with FrameWriter(root / "empty.nut", Fraction(25), 128, 128) as writer:
        writer.write(np.full((3, 128, 128, 3), 120, np.uint8))
    return root


def write(folder: Path, name: str, photo: str = "astronaut.png", smile: str = "0.5", extra: str = "") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(SPEC.format(photo=photo, smile=smile) + extra)
    return path


def test_valid_spec_loads_and_plans(folder: Path) -> None:
    loaded = load_spec(write(folder, "ok"))
    assert loaded.kind == "face_edit" and loaded.spec.edits.smile == 0.5
    p = plan(loaded)
    assert [c.stage for c in p.calls] == ["face_edit.mesh", "face_edit.figures"] and set(p.outputs) == {
        "image"
    }
    keyed = load_spec(
        write(folder, "keys", extra="keyframes:\n  - {at: 0, edits: {}}\n  - {at: 1, edits: {brow: 1}}\n")
    )
    assert [c.stage for c in plan(keyed).calls][-1] == "assemble" and set(plan(keyed).outputs) == {
        "image",
        "video",
    }


def test_edit_out_of_range_is_located(folder: Path) -> None:
    path = write(folder, "range", smile="1.5")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert str(err.value).startswith(f"{path}:5:10: edits.smile: ")
    assert "less than or equal to 1" in str(err.value)


def test_photo_without_one_usable_face_is_located(folder: Path) -> None:
    path = write(folder, "blank", photo="blank.png")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert str(err.value) == f"{path}:3:8: photo: {folder / 'blank.png'}: no face found"
    path = write(folder, "group", photo="group.png")
    with pytest.raises(
        SpecError, match=r":3:8: photo: .*group.png: \d faces found; give a photo of one person"
    ):
        load_spec(path)


def test_a_video_is_planned_and_checked(folder: Path) -> None:
    p = plan(load_spec(write_video(folder, "video", "face.nut")))
    assert [c.stage for c in p.calls] == ["face_edit.mesh_video", "assemble", "face_edit.figures"]
    assert set(p.outputs) == {"video", "image"}
    path = write_video(folder, "empty", "empty.nut")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert (
        str(err.value)
        == f"{path}:3:8: video: {folder / 'empty.nut'}: no face found in the video (first 50 frames)"
    )
    keyed = "keyframes:\n  - {at: 0, edits: {}}\n  - {at: 1, edits: {brow: 1}}\n"
    with pytest.raises(SpecError, match="keyframes animate a photo"):
        load_spec(write_video(folder, "keyed", "face.nut", extra=keyed))
    with pytest.raises(SpecError, match="give exactly one of photo and video"):
        load_spec(write_video(folder, "both", "face.nut", extra="photo: astronaut.png\n"))


def write_video(folder: Path, name: str, video: str, extra: str = "") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"version: 1\nkind: face_edit\nvideo: {video}\nedits:\n  smile: 0.5\n{extra}")
    return path


def test_keyframes_out_of_order_and_nothing_to_edit(folder: Path) -> None:
    path = write(folder, "order", extra="keyframes:\n  - {at: 2, edits: {}}\n  - {at: 1, edits: {}}\n")
    with pytest.raises(SpecError, match="keyframes must be in increasing time order"):
        load_spec(path)
    with pytest.raises(SpecError, match="nothing to edit"):
        load_spec(write(folder, "none", smile="0"))
