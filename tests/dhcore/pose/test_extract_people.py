"""Choosing the person of a group photo, on a real group photo (insightface's t1.jpg)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.errors import InputError
from dhcore.pose import extract
from dhcore.pose.extract_mediapipe import MediaPipeDetector
from dhcore.pose.extract_people import choose_person, detect_person, find_faces
from dhcore.pose.keypoints import J, PoseSequence


@pytest.fixture(scope="module")
def group_photo() -> Path:
    spec = importlib.util.find_spec("insightface")
    path = Path(spec.origin).parent / "data" / "images" / "t1.jpg" if spec and spec.origin else None
    if path is None or not path.is_file():
        pytest.skip("insightface's sample group photo t1.jpg is not installed")
    return path


def test_finds_the_people_of_a_group_photo_left_to_right(group_photo):
    faces = find_faces(extract.read_image(group_photo))
    assert len(faces) >= 4  # six people; the back row's faces are partly hidden
    xs = [f.centre_x for f in faces]
    assert xs == sorted(xs) and all(0 < f.h < 0.3 for f in faces)


def test_default_is_the_largest_most_central_person_and_the_pose_lands_on_them(group_photo):
    rgb = extract.read_image(group_photo)
    faces = find_faces(rgb)
    choice = choose_person(faces, None, "t1.jpg")
    assert choice.index == max(
        range(len(faces)), key=lambda i: faces[i].h * (1 - abs(faces[i].centre_x - 0.5))
    )
    assert "people in the photo" in choice.warning("t1.jpg")
    for index in (choice.index, 0):  # the default, and the person at the left edge
        chosen = choose_person(faces, index, "t1.jpg")
        with MediaPipeDetector(video=False) as detector:
            body, _, _ = detect_person(detector, rgb, chosen)
        face = faces[index]
        assert abs(body[J["nose"], 0] - face.centre_x) < face.w / 2
        assert face.y < body[J["nose"], 1] < face.y + face.h


def test_person_out_of_range_and_a_single_person_photo(group_photo, astronaut_png):
    faces = find_faces(extract.read_image(group_photo))
    with pytest.raises(InputError, match=r"subject.person is 9, but the photo shows \d+ people"):
        choose_person(faces, 9, "t1.jpg")
    single = find_faces(extract.read_image(astronaut_png))
    assert len(single) == 1 and choose_person(single, None, "a.png").warning("a.png") is None
    assert choose_person(single, 0, "a.png").index is None  # person 0 of one: the photo as it is


def test_extract_run_warns_and_follows_subject_person(group_photo, tmp_path):
    result = extract.STAGE.call(tmp_path, extract.Params(parts="body", person=0), source=group_photo)
    pose = PoseSequence.load(result.outputs["pose"].path)
    face = find_faces(extract.read_image(group_photo))[0]
    assert abs(pose.body[0, J["nose"], 0] - face.centre_x) < face.w / 2
    assert any("animating person 0" in w for w in result.warnings)
    assert extract.reference_problem(group_photo, extract.Params(person=0)) is None
    problem = extract.reference_problem(group_photo, extract.Params(person=9))
    assert problem is not None and "subject.person is 9" in problem
    assert np.isfinite(pose.body[0, J["neck"], :2]).all()


def test_an_extreme_aspect_photo_is_refused_with_its_size(astronaut_png, tmp_path):
    strip = tmp_path / "strip.png"
    cv2.imwrite(str(strip), cv2.imread(str(astronaut_png))[200:240])
    assert extract.reference_problem(strip, extract.Params()) == (
        "the photo is 512x40, an aspect ratio over 4:1; crop it around the person"
    )
