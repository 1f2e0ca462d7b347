import cv2
import numpy as np
import pytest

from dhcore.errors import InputError
from dhcore.facemesh.landmarks import MESH_POINTS, eye_distance, eye_opening, mouth_opening, one_face
from tests import realdata


def test_one_face_on_a_real_portrait() -> None:
    points = one_face(realdata.rgb("astronaut"), "astronaut.png")
    assert points.shape == (MESH_POINTS, 3)
    assert 40 < eye_distance(points) < 90  # the astronaut's face is ~100 px wide in 512 px
    assert 0.2 < eye_opening(points, "left") < 0.5
    assert mouth_opening(points) < 0.3


def test_no_face_several_faces_and_a_small_face_are_named() -> None:
    with pytest.raises(InputError, match="blank.png: no face"):
        one_face(np.full((256, 256, 3), 128, np.uint8), "blank.png")
    with pytest.raises(InputError, match="t1.jpg: .* faces found"):
        one_face(realdata.rgb("six_people"), "t1.jpg")
    small = cv2.resize(realdata.rgb("astronaut"), (160, 160), interpolation=cv2.INTER_AREA)
    with pytest.raises(InputError, match="small.png: the face is too small"):
        one_face(small, "small.png")
