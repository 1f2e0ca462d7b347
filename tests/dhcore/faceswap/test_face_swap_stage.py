"""Stage faceswap.video on real photos set in motion: Grace Hopper's face on every frame of the target,
the person to replace chosen by index or by a reference photo, smoothed landmarks, and its figures."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from dhcore.demo.assets import grace_hopper, png_writer
from dhcore.demo.faceswap_assets import target_frames
from dhcore.demo.shoot_assets import face_crops
from dhcore.errors import InputError
from dhcore.face.faces import box_iou, load_analyzer
from dhcore.face.reference import pick_face as pick
from dhcore.faceswap import stage
from dhcore.media.encode import encode_mp4
from dhcore.media.ffmpeg import AudioInput, EncodeOptions
from dhcore.media.frames import iter_frames
from tests import realdata


def _video(path: Path, frames: np.ndarray) -> Path:
    h, w = frames.shape[1:3]
    encode_mp4([frames], w, h, Fraction(10), len(frames), path, EncodeOptions(), AudioInput(None))
    return path


def _png(path: Path, image: np.ndarray) -> Path:
    png_writer(image)(path)
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("faceswap_stage")
    group = realdata.rgb("six_people")
    crops = face_crops(group)
    h, w = group.shape[:2]
    still = group[: h // 2 * 2, : w // 2 * 2]
    return {
        "identity": _png(root / "hopper.png", grace_hopper()),
        "laughing": _video(root / "laughing.mp4", target_frames(crops[3], 10, 256)),
        "group": _video(root / "group.mp4", np.stack([still] * 3)),
        "face1": _png(root / "face1.png", crops[1]),
    }


def test_every_frame_gets_the_identity_with_smoothed_landmarks(inputs, tmp_path: Path) -> None:
    result = stage.STAGE.call(tmp_path, photo=[inputs["identity"]], video=inputs["laughing"])
    m = result.metrics
    assert m["frames"] == 10 and m["swap_rate"] == 1.0 and m["identity_match_rate"] == 1.0
    assert m["identity_distance_max"] <= 0.6 and m["realism_median"] > 0.4
    assert m["jitter"] < m["jitter_raw"]  # One-Euro smoothing steadies the landmarks the swap follows
    report = json.loads(result.outputs["report"].path.read_text())
    assert all(r["face"] and r["mouth_kept"] for r in report["frames"])  # the laugh stays open
    before = np.concatenate(list(iter_frames(inputs["laughing"])))
    after = np.concatenate(list(iter_frames(result.outputs["frames"].path)))
    assert after.shape == before.shape
    changed = np.abs(after.astype(int) - before.astype(int)).max(axis=(0, 3)) > 0
    assert 0.03 < changed.mean() < 0.5 and not changed[-20:].any()  # the face, not the shirt below


@pytest.mark.parametrize("how", ["index", "reference"])
def test_the_person_to_replace_by_index_or_reference_photo(inputs, tmp_path: Path, how: str) -> None:
    analyzer = load_analyzer("dlib")
    first = next(iter_frames(inputs["group"]))[0]
    faces = analyzer.detect(first)
    wanted = pick(faces, 1)
    assert wanted is not pick(faces)  # not simply the largest
    if how == "index":
        result = stage.STAGE.call(tmp_path, stage.Params(target_face=1), photo=[inputs["identity"]],
                                  video=inputs["group"])  # fmt: skip
    else:
        result = stage.STAGE.call(tmp_path, photo=[inputs["identity"]], video=inputs["group"],
                                  target_reference=inputs["face1"])  # fmt: skip
    report = json.loads(result.outputs["report"].path.read_text())
    assert all(box_iou(np.array(r["box"]), wanted.box) > 0.5 for r in report["frames"])
    assert result.metrics["swap_rate"] == 1.0


def test_a_face_index_the_video_does_not_have_is_an_input_error(inputs, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"target.face 9 but the first frame with faces shows 6"):
        stage.STAGE.call(
            tmp_path, stage.Params(target_face=9), photo=[inputs["identity"]], video=inputs["group"]
        )
