import numpy as np
import pytest

from dhcore.facemesh.expressions import Expression, HeadPose, apply, face_frame, head_move
from dhcore.facemesh.landmarks import eye_distance, mouth_opening, one_face
from dhcore.reenact.transfer import head_rotation, rotation_angle, similarity, transfer
from tests import realdata


@pytest.fixture(scope="module")
def faces() -> tuple[np.ndarray, np.ndarray]:
    return one_face(realdata.rgb("astronaut"), "astronaut"), one_face(realdata.rgb("grace_hopper"), "grace")


def test_a_still_driver_leaves_the_source_as_it_is(faces) -> None:
    source, driver = faces
    assert np.abs(transfer(source, driver, driver) - source).max() < 1e-3


def test_the_drivers_change_not_its_face_is_transferred(faces) -> None:
    source, driver = faces
    moved = head_move(apply(driver, Expression(jaw_open=0.6)), HeadPose(roll=8.0))
    out = transfer(source, driver, moved)
    # the mouth opens by about as much as the driver's (in the source's own mouth-width units)
    assert mouth_opening(out) - mouth_opening(source) == pytest.approx(
        mouth_opening(moved) - mouth_opening(driver), abs=0.08
    )
    # the head tilts by the driver's roll, and the source keeps its own size
    angle = np.degrees(similarity(source[:, :2], out[:, :2])[1])
    assert angle == pytest.approx(np.degrees(similarity(driver[:, :2], moved[:, :2])[1]), abs=1.0)
    assert eye_distance(out) == pytest.approx(eye_distance(source), rel=0.05)
    assert face_frame(out)[2] < 0.6 * face_frame(driver)[2]  # not the driver's (larger) face


def test_head_rotation_measures_a_turn(faces) -> None:
    _, driver = faces
    turned = head_move(driver, HeadPose(yaw=10.0))
    assert rotation_angle(head_rotation(driver, driver)) < 0.5
    assert 7.0 < rotation_angle(head_rotation(turned, driver)) < 13.0
