"""pose.import_openpose: per-frame OpenPose JSON folders, and clear errors naming the bad file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dhcore.errors import InputError
from dhcore.pose import openpose_json as O
from dhcore.pose.keypoints import J, PoseSequence


def _person(offset: float = 0.0, body25: bool = False, face70: bool = True) -> dict:
    n = 25 if body25 else 18
    body = []
    for i in range(n):
        body += [10.0 * i + offset, 5.0 * i + 100, 0.9]
    return {
        "person_id": [-1],
        "pose_keypoints_2d": body,
        "hand_left_keypoints_2d": [v for i in range(21) for v in (200.0 + i, 300.0, 0.8)],
        "hand_right_keypoints_2d": [],
        "face_keypoints_2d": [v for i in range(70 if face70 else 68) for v in (50.0 + i, 60.0, 0.7)],
    }


def _write(folder: Path, name: str, doc: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(doc))
    return path


def test_reads_a_folder_in_natural_order(tmp_path: Path) -> None:
    for i in (2, 10, 1):
        _write(tmp_path / "op", f"frame_{i}_keypoints.json", {"version": 1.3, "people": [_person(offset=i)]})
    pose = O.read_folder(tmp_path / "op", 640, 480, fps=30)
    assert (len(pose), pose.width, pose.height, pose.fps) == (3, 640, 480, 30)
    assert pose.body[:, J["nose"], 0] * 640 == pytest.approx([1, 2, 10])
    assert pose.body[0, J["l_ear"], :2] == pytest.approx(((170 + 1) / 640, 185 / 480))
    assert pose.body[0, 0, 2] == pytest.approx(0.9)
    assert pose.hands[0, 0, 20, 0] == pytest.approx(220 / 640)
    assert np.isnan(pose.hands[0, 1, :, :2]).all() and (pose.hands[0, 1, :, 2] == 0).all()
    assert pose.face[0, 67, 0] == pytest.approx(117 / 640)  # 70 face points: pupils dropped


def test_body25_is_mapped_and_missing_points_stay_missing(tmp_path: Path) -> None:
    person = _person(body25=True, face70=False)
    person["pose_keypoints_2d"][3 * 4 : 3 * 4 + 3] = [0.0, 0.0, 0.0]  # right wrist not found
    _write(tmp_path / "op", "0.json", {"people": [person], "canvas_width": 200, "canvas_height": 400})
    pose = O.read_folder(tmp_path / "op")
    assert (pose.width, pose.height) == (200, 400)
    assert pose.body[0, J["r_hip"], 0] * 200 == pytest.approx(90)  # BODY_25 index 9
    assert pose.body[0, J["l_ear"], 0] * 200 == pytest.approx(180)  # BODY_25 index 18
    assert np.isnan(pose.body[0, J["r_wrist"], :2]).all() and pose.body[0, J["r_wrist"], 2] == 0


def test_the_most_confident_person_is_taken_and_empty_frames_are_missing(tmp_path: Path) -> None:
    weak = _person(offset=500)
    weak["pose_keypoints_2d"] = [
        v * (0.1 if k % 3 == 2 else 1) for k, v in enumerate(weak["pose_keypoints_2d"])
    ]
    _write(tmp_path / "op", "0.json", {"people": [weak, _person()]})
    _write(tmp_path / "op", "1.json", {"people": []})
    pose = O.read_folder(tmp_path / "op", 640, 480)
    assert pose.body[0, J["nose"], 0] * 640 == pytest.approx(0)
    assert (pose.body[1, :, 2] == 0).all()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", r"broken\.json: not a readable JSON file"),
        (json.dumps([1, 2]), r"broken\.json: expected an object with a 'people' list"),
        (json.dumps({"people": [{"pose_keypoints_2d": [1, 2, 3, 4]}]}), r"broken\.json: pose_keypoints_2d has 4 numbers, expected 54 or 75"),
        (json.dumps({"people": [{"pose_keypoints_2d": ["a"] * 54}]}), r"broken\.json: pose_keypoints_2d is not a list of numbers"),
        (json.dumps({"people": ["me"]}), r"broken\.json: every entry of 'people' must be an object"),
    ],
)  # fmt: skip
def test_malformed_files_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    _write(tmp_path / "op", "a_good.json", {"people": [_person()]})
    (tmp_path / "op" / "broken.json").write_text(content)
    with pytest.raises(InputError, match=message):
        O.read_folder(tmp_path / "op", 640, 480)


def test_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a folder"):
        O.read_folder(tmp_path / "missing", 10, 10)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"empty: contains no \.json files"):
        O.read_folder(tmp_path / "empty", 10, 10)
    _write(tmp_path / "nosize", "0.json", {"people": [_person()]})
    with pytest.raises(InputError, match=r"0\.json: image size unknown"):
        O.read_folder(tmp_path / "nosize")
    _write(tmp_path / "nobody", "0.json", {"people": []})
    with pytest.raises(InputError, match="no visible body in any of its 1 files"):
        O.read_folder(tmp_path / "nobody", 10, 10)


def test_stage_run(tmp_path: Path) -> None:
    for i in range(3):
        _write(tmp_path / "op", f"{i:04d}.json", {"people": [_person(offset=i)]})
    result = O.STAGE.call(
        tmp_path / "pose",
        O.Params(width=640, height=480, fps=25),
        folder=tmp_path / "op",
    )
    assert len(PoseSequence.load(result.outputs["pose"].path)) == 3
    assert result.outputs["pose"].kind == "pose" and result.metrics["detected_rate"] == 1.0
