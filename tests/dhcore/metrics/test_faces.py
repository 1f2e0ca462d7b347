"""Face rates over the frames whose target shows a face: a face not found there is a miss."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dhcore.errors import InputError
from dhcore.metrics import faces
from dhcore.pose.keypoints import J, PoseSequence


def _report(found: list[bool], distance: float = 0.3, stride: int | None = None) -> dict:
    frames = [
        {"index": i, "face": f, "distance": distance if f else None, "extra": {}} for i, f in enumerate(found)
    ]
    doc = {"threshold": 0.6, "frames": frames}
    if stride:
        doc["stride"] = stride
    return doc


def test_target_shows_a_face_with_the_nose_in_frame_and_an_eye() -> None:
    pose = PoseSequence.empty(4, 100, 100, 10.0)
    pose.body[:, J["nose"]] = (0.5, 0.2, 1.0)
    pose.body[:3, J["l_eye"]] = (0.52, 0.18, 1.0)
    pose.body[1, J["nose"], 1] = -0.1  # above the frame
    pose.body[2, J["nose"], 2] = 0.1
    assert faces.target_shows_face(pose).tolist() == [True, False, False, False]


def test_face_found_in_one_frame_of_a_hundred_is_not_a_match_rate_of_one() -> None:
    found = [True] + [False] * 99
    rates = faces.rates(_report(found), np.ones(100, bool))
    assert rates["face_detection_rate"] == pytest.approx(0.01)
    assert rates["face_match_rate"] == pytest.approx(0.01)
    assert rates["face_frames_expected"] == 100 and "face_match_rate_raw" not in rates


def test_only_frames_that_should_show_a_face_count() -> None:
    found = [True] * 50 + [False] * 50
    shows = np.array([True] * 50 + [False] * 50)  # the dancer turns away: no face asked for
    rates = faces.rates(_report(found), shows)
    assert rates["face_detection_rate"] == 1.0 and rates["face_match_rate"] == 1.0
    far = faces.rates(_report(found, distance=0.7), shows)
    assert far["face_detection_rate"] == 1.0 and far["face_match_rate"] == 0.0
    assert "face_match_rate" not in faces.rates(_report(found), np.zeros(100, bool))


def test_strided_reports_rate_the_measured_frames_and_raw_distances_are_used() -> None:
    report = _report([True] * 10, stride=5)
    for f in report["frames"]:
        if f["index"] % 5:
            f["distance"] = None  # not measured
        f["extra"]["distance_raw"] = 0.9
    rates = faces.rates(report, np.ones(10, bool))
    assert rates["face_match_rate"] == 1.0 and rates["face_match_rate_raw"] == 0.0


def test_an_unreadable_report_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "r.json"
    bad.write_text(json.dumps({"frames": []}))
    with pytest.raises(InputError, match="not a face stage report"):
        faces.load_report(bad)
    bad.write_text("{")
    with pytest.raises(InputError, match="unreadable face report"):
        faces.load_report(bad)
