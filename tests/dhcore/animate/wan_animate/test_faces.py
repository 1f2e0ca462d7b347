"""Face crops of the driving video: boxes from the face landmarks (or the head keypoints), held
over frames without a face, crops that follow the face and stream one per pose frame."""

from __future__ import annotations

import numpy as np
import pytest

from dhcore.animate.wan_animate.faces import crop_face, face_box, face_boxes, face_crops
from dhcore.errors import InputError
from dhcore.pose.keypoints import J, PoseSequence

from .conftest import DH, DW, driving_pose


def test_box_is_a_square_around_the_landmarks_scaled() -> None:
    pose = driving_pose(3)
    cx, cy, side = face_box(pose.face[0], pose.body[0], DW, DH, scale=1.5)
    xy = pose.face[0, :, :2] * (DW, DH)
    extent = (xy.max(axis=0) - xy.min(axis=0)).max()
    assert side == pytest.approx(1.5 * extent)
    assert (cx, cy) == pytest.approx(tuple((xy.max(axis=0) + xy.min(axis=0)) / 2))
    # the face drifts right by 0.02 of the width per frame; so does the box
    boxes = face_boxes(pose, 1.5)
    assert np.diff(boxes[:, 0]) == pytest.approx([0.02 * DW] * 2)


def test_head_keypoints_stand_in_for_a_missing_face_mesh() -> None:
    pose = PoseSequence.empty(1, 100, 100, 24.0)
    pose.body[0, J["r_ear"]] = (0.4, 0.5, 0.9)
    pose.body[0, J["l_ear"]] = (0.6, 0.5, 0.9)
    cx, cy, side = face_box(pose.face[0], pose.body[0], 100, 100, scale=1.0)
    assert (cx, cy) == pytest.approx((50, 50)) and side == pytest.approx(20 * 1.6)
    pose.body[0, J["l_ear"], 2] = 0  # one point is not a face
    assert face_box(pose.face[0], pose.body[0], 100, 100, scale=1.0) is None


def test_frames_without_a_face_keep_the_nearest_earlier_box() -> None:
    pose = driving_pose(5)
    pose.face[[0, 2, 3], :, 2] = 0  # frames 0, 2, 3 without face mesh nor head keypoints
    pose.body[[0, 2, 3], 0, 2] = 0
    boxes = face_boxes(pose, 1.5)
    assert np.array_equal(boxes[0], boxes[1])  # the start takes the first found box
    assert np.array_equal(boxes[2], boxes[1]) and np.array_equal(boxes[3], boxes[1])
    assert boxes[4, 0] > boxes[1, 0]
    pose.face[..., 2] = 0
    pose.body[..., 2] = 0
    with pytest.raises(InputError, match="no face in any frame"):
        face_boxes(pose, 1.5)


def test_crop_maps_the_box_onto_the_square_and_pads_black() -> None:
    frame = np.zeros((60, 80, 3), dtype=np.uint8)
    frame[20:40, 30:50] = 200  # a 20x20 square centred at (40, 30)
    crop = crop_face(frame, np.array([40.0, 30.0, 40.0]), 16)
    assert crop.shape == (16, 16, 3)
    assert crop[4:12, 4:12].min() == 200 and crop[0, 0].max() == 0 and crop[:, :2].max() == 0
    corner = crop_face(frame, np.array([0.0, 0.0, 20.0]), 16)  # three quarters outside the frame
    assert corner[:8].max() == 0 and corner[:, :8].max() == 0


def test_crops_stream_one_per_pose_frame() -> None:
    pose = driving_pose(5)
    chunks = [np.full((3, DH, DW, 3), 10, np.uint8), np.full((1, DH, DW, 3), 20, np.uint8)]  # one frame short
    crops = list(face_crops(iter(chunks), pose, 16, 1.5))
    assert len(crops) == 5 and all(c.shape == (16, 16, 3) for c in crops)
    assert crops[3].max() == crops[4].max() == 20  # the last frame repeats for the missing one
    with pytest.raises(InputError, match="not the same video"):
        list(face_crops(iter([np.zeros((1, 10, 10, 3), np.uint8)]), pose, 16, 1.5))
    with pytest.raises(InputError, match="4 frames but 8 poses"):
        list(face_crops(iter(chunks), driving_pose(8), 16, 1.5))
    with pytest.raises(InputError, match="no frames"):
        list(face_crops(iter([]), pose, 16, 1.5))
