"""A head bent forward over the collar (its chin lies on the torso in the photo): the whole face,
mouth and chin included, must move with the head, drawn over the torso."""

from __future__ import annotations

import numpy as np
import pytest

from dhcore.animate.warp import WarpBackend, WarpParams
from dhcore.animate.warp.backend import Puppet
from dhcore.media.frames import iter_frames
from dhcore.pose.keypoints import J
from dhcore.stage import no_progress

W, H = 384, 512
FACE = ("nose", "r_eye", "l_eye", "r_ear", "l_ear")
#: the conftest figure with its head sunk onto the shoulder line: the head disc (centre (192, 92),
#: radius 30) reaches 10 px into the torso, whose top edge is the shoulders' line at y = 112
SUNK = {
    "nose": (192, 102), "neck": (192, 112), "r_shoulder": (150, 112), "l_shoulder": (234, 112),
    "r_elbow": (115, 185), "r_wrist": (90, 255), "l_elbow": (269, 185), "l_wrist": (294, 255),
    "r_hip": (165, 255), "l_hip": (219, 255), "r_knee": (155, 355), "r_ankle": (150, 450),
    "l_knee": (229, 355), "l_ankle": (234, 450), "r_eye": (180, 92), "l_eye": (204, 92),
    "r_ear": (178, 94), "l_ear": (206, 94),
}  # fmt: skip
MOUTH = (slice(113, 119), slice(184, 201))  # rows, columns: below the shoulder line
RED = np.array([230.0, 20.0, 30.0])


def _landmarks() -> np.ndarray:
    """iBUG-68 points of the drawn head: the jaw along its lower half, brows above the eyes."""
    points = np.tile([192.0, 100.0], (68, 1))
    t = np.linspace(np.pi, 0.0, 17)  # image left (the subject's right) to image right, via the chin
    points[:17] = np.stack([192 + 30 * np.cos(t), 92 + 30 * np.sin(t)], 1)
    points[17:27] = np.stack([np.linspace(172, 212, 10), np.full(10, 80.0)], 1)
    return points


@pytest.fixture
def sunk(helpers):
    joints = helpers.joints_array(SUNK)
    photo = helpers.draw_figure(joints, W, H)
    photo[MOUTH] = RED
    return photo, joints


def _scene(scene, helpers, photo, ref, targets, landmarks: bool, shift=(0.0, 0.0)):
    reference = helpers.pose_sequence([ref], W, H)
    if landmarks:
        face = np.ones((1, 68, 3), np.float32)
        face[0, :, :2] = (_landmarks() + shift) / (W, H)
        reference = reference.replace(face=face)
    return scene.inputs(photo, reference, helpers.pose_sequence(targets, W, H), W, H)


def test_a_chin_on_the_collar_moves_with_the_head_and_is_drawn_over_the_torso(scene, helpers, sunk):
    photo, ref = sunk
    target = ref.copy()
    shift = np.array([12.0, -14.0])  # the head lifts off the shoulders and moves right: a longer neck
    target[[J[n] for n in FACE]] += shift
    inputs = _scene(scene, helpers, photo, ref, [ref, target], landmarks=True)
    assert "face" in Puppet.setup(inputs, WarpParams()).rig.layers
    WarpBackend().run(inputs, WarpParams(), scene.root / "out.nut", no_progress)
    still, moved = np.concatenate(list(iter_frames(scene.root / "out.nut"))).astype(float)

    def red(frame: np.ndarray, rows: slice, cols: slice) -> float:
        return float((np.linalg.norm(frame[rows, cols] - RED, axis=2) < 60).mean())

    assert red(still, *MOUTH) > 0.95  # the unchanged pose shows the photo
    dx, dy = shift.astype(int)
    there = (slice(MOUTH[0].start + dy, MOUTH[0].stop + dy), slice(MOUTH[1].start + dx, MOUTH[1].stop + dx))
    assert red(moved, *there) > 0.9, "the mouth did not move whole with the head"
    assert red(moved, *MOUTH) < 0.1, "the mouth stayed behind on the torso"


@pytest.mark.parametrize("landmarks", ["none", "another face"])
def test_without_this_bodys_face_landmarks_there_is_no_face_layer(scene, helpers, sunk, landmarks):
    photo, ref = sunk
    shift = (120.0, 0.0) if landmarks == "another face" else (0.0, 0.0)  # beside the head: not its face
    inputs = _scene(scene, helpers, photo, ref, [ref], landmarks=landmarks != "none", shift=shift)
    puppet = Puppet.setup(inputs, WarpParams())
    assert "face" not in puppet.rig.layers and "core" in puppet.rig.layers
