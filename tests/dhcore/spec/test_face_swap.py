"""The face_swap spec kind: a valid spec loads and plans; an identity photo without a usable face (none,
several alike, too small) and a target video without a face are located errors."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.demo.assets import grace_hopper, png_writer
from dhcore.demo.faceswap_assets import target_frames
from dhcore.media.encode import encode_mp4
from dhcore.media.ffmpeg import AudioInput, EncodeOptions
from dhcore.plan import plan
from dhcore.routing import deployment_for, run_tags
from dhcore.spec.loader import SpecError, load_spec
from tests import realdata

SPEC = """\
version: 1
kind: face_swap
identity:
  photos: [{photo}]
{identity}target:
  video: {video}
"""


def _video(path: Path, frames: np.ndarray) -> None:
    h, w = frames.shape[1:3]
    encode_mp4([frames], w, h, Fraction(10), len(frames), path, EncodeOptions(), AudioInput(None))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faceswap")
    hopper = grace_hopper()
    png_writer(hopper)(root / "hopper.png")
    png_writer(cv2.resize(hopper, None, fx=0.17, fy=0.17, interpolation=cv2.INTER_AREA))(root / "tiny.png")
    png_writer(np.full((128, 128, 3), 210, np.uint8))(root / "blank.png")
    png_writer(realdata.rgb("six_people"))(root / "group.png")
    _video(root / "target.mp4", target_frames(realdata.rgb("astronaut"), 4, 256))
    _video(root / "empty.mp4", np.full((4, 64, 64, 3), 90, np.uint8))
    return root


def write(
    folder: Path,
    name: str,
    photo: str = "hopper.png",
    video: str = "target.mp4",
    extra: str = "",
    identity: str = "",
) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(SPEC.format(photo=photo, video=video, identity=identity) + extra)
    return path


def test_valid_spec_loads_plans_and_routes(folder: Path) -> None:
    loaded = load_spec(write(folder, "ok"))
    assert loaded.kind == "face_swap" and loaded.spec.quality.identity_match_rate == 0.9
    p = plan(loaded)
    assert [c.stage for c in p.calls] == ["faceswap.video", "assemble"]
    assert {i.role for i in p.inputs} == {"photo_0", "video"} and set(p.outputs) == {"video", "report"}
    assert p.call("assemble").inputs["audio"].role == "video"  # the target's own soundtrack
    assert deployment_for(loaded.spec) == "face-swap/face-swap"
    assert "kind:face_swap" in run_tags(loaded.spec)


def test_identity_photo_without_a_face_is_located(folder: Path) -> None:
    path = write(folder, "blank", photo="blank.png")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert str(err.value).startswith(f"{path}:4:12: identity.photos.0: {folder / 'blank.png'}: no face found")


def test_group_photo_asks_which_face(folder: Path) -> None:
    path = write(folder, "group", photo="group.png")
    with pytest.raises(
        SpecError,
        match=r":4:12: identity.photos.0: .*6 faces of similar size.*identity.face: N .*0 at \(10%, 38%\), 1 at",
    ):
        load_spec(path)
    assert (
        load_spec(write(folder, "group2", photo="group.png", identity="  face: 2\n")).spec.identity.face == 2
    )
    with pytest.raises(
        SpecError, match=r":5:9: identity.face: .*no face 7 \(it shows 6, counted left to right from 0\)"
    ):
        load_spec(write(folder, "group7", photo="group.png", identity="  face: 7\n"))


def test_a_face_too_small_is_located(folder: Path) -> None:
    with pytest.raises(SpecError, match=r"identity.photos.0: .*tiny.png: the face is only 3\d px wide"):
        load_spec(write(folder, "tiny", photo="tiny.png"))


def test_target_video_without_a_face_is_located(folder: Path) -> None:
    path = write(folder, "empty", video="empty.mp4")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert f"{path}:6:10: target.video: {folder / 'empty.mp4'}: no face in any of" in str(err.value)


def test_reference_photo_of_nobody_is_located(folder: Path) -> None:
    path = write(folder, "ref", extra="  reference: blank.png\n")
    with pytest.raises(SpecError, match=r":7:14: target.reference: .*blank.png: no face found"):
        load_spec(path)
