"""Alignment to templates, feathered paste-back, One-Euro smoothing and reference-face tracking."""

from __future__ import annotations

import cv2
import numpy as np

from dhcore.face.align import (
    FFHQ_512,
    box_mask,
    paste_back,
    similarity,
    template,
    transform_points,
    warp_face,
)
from dhcore.face.faces import read_image
from dhcore.face.params import TrackingParams
from dhcore.face.track import FaceTracker, OneEuro, head_boxes
from dhcore.pose.keypoints import FACE_JOINTS, J, PoseSequence
from tests.dhcore.face.face_helpers import moving


def test_similarity_recovers_a_known_transform() -> None:
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, size=(5, 2)).astype(np.float32)
    angle, scale, shift = 0.3, 1.7, np.array([12.0, -5.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = src @ rot.T + shift
    m = similarity(src, dst)
    assert np.allclose(m[:, :2], rot, atol=1e-4) and np.allclose(m[:, 2], shift, atol=1e-3)


def test_warp_face_puts_key_points_on_the_template(dlib_faces, astronaut) -> None:
    face = dlib_faces.detect(astronaut)[0]
    crop, m = warp_face(astronaut, face.kps, "ffhq", 512)
    assert crop.shape == (512, 512, 3)
    # a least-squares fit of 5 points (the astronaut's wide smile keeps the mouth off-template)
    residual = np.linalg.norm(transform_points(face.kps, m) - FFHQ_512, axis=1)
    assert residual.max() < 16 and residual[:3].max() < 10
    assert np.allclose(template("arcface", 112)[0], [38.2946, 51.6963])
    assert np.allclose(template("arcface", 128)[0], [46.2946, 51.6963])  # insightface: +8 px in x


def test_paste_back_changes_only_the_masked_face(dlib_faces, astronaut) -> None:
    face = dlib_faces.detect(astronaut)[0]
    crop, m = warp_face(astronaut, face.kps, "ffhq", 512)
    inverted = 255 - crop
    mask = box_mask(512)
    out = paste_back(astronaut, inverted, m, mask, strength=1.0)
    alpha = cv2.warpAffine(mask, cv2.invertAffineTransform(m), (512, 512))
    outside = alpha == 0
    assert np.array_equal(out[outside], astronaut[outside])
    cx, cy = face.kps[2].astype(int)  # the nose tip is deep inside the mask: inverted
    assert np.abs(out[cy, cx].astype(int) - (255 - astronaut[cy, cx].astype(int))).max() <= 24
    assert np.array_equal(paste_back(astronaut, inverted, m, mask, strength=0.0), astronaut)
    # pasting the unmodified crop back is (nearly) lossless
    same = paste_back(astronaut, crop, m, mask, strength=1.0)
    assert np.abs(same.astype(int) - astronaut.astype(int))[~outside].mean() < 3


def test_one_euro_steadies_noise_and_follows_motion() -> None:
    rng = np.random.default_rng(1)
    f = OneEuro(min_cutoff=2.0, beta=5.0)
    still = [f(np.array([100.0, 100.0]) + rng.normal(0, 1.0, 2), i / 24, 100.0) for i in range(96)]
    assert np.std(np.array(still)[24:], axis=0).max() < 0.6  # raw noise std is 1.0
    g = OneEuro(min_cutoff=2.0, beta=5.0)
    ramp = [g(np.array([5.0 * i, 0.0]), i / 24, 100.0)[0] for i in range(48)]  # 120 px/s
    assert abs(ramp[-1] - 5.0 * 47) < 10  # lag under 2 frames of motion


def test_tracker_follows_one_face_and_smooths(dlib_faces, astronaut) -> None:
    frames = moving(astronaut, 24)
    ref = dlib_faces.embed(astronaut, dlib_faces.detect(astronaut)[0])
    tracker = FaceTracker(dlib_faces, ref, 24.0, TrackingParams(), landmarks=True)
    tracked = [tracker.update(f, i) for i, f in enumerate(frames)]
    assert all(t is not None for t in tracked)
    assert {t.track_id for t in tracked} == {1}
    for t in tracked:
        assert np.abs(t.landmarks - t.face.landmarks).mean() < 4  # smoothed, not lagging
    # a static face with pixel noise: smoothed landmarks move less than raw ones
    rng = np.random.default_rng(2)
    still = [
        np.clip(frames[0] + rng.normal(0, 6, frames[0].shape), 0, 255).astype(np.uint8) for _ in range(24)
    ]
    tracker = FaceTracker(dlib_faces, ref, 24.0, TrackingParams(), landmarks=True)
    seq = [tracker.update(f, i) for i, f in enumerate(still)]
    raw = np.std([t.face.landmarks for t in seq[6:]], axis=0).mean()
    smooth = np.std([t.landmarks for t in seq[6:]], axis=0).mean()
    assert smooth < raw


def test_tracker_picks_the_reference_among_several_faces(dlib_faces, astronaut, hopper_path) -> None:
    hopper = read_image(hopper_path)[44:556]
    person = astronaut
    frame = np.ascontiguousarray(np.hstack([person, hopper]))  # astronaut left, Hopper right
    assert len(dlib_faces.detect(frame)) >= 2  # HOG also fires weakly (0.06) on the suit
    for reference, left in ((hopper, False), (person, True)):
        ref = dlib_faces.embed(reference, dlib_faces.detect(reference)[0])
        tracker = FaceTracker(dlib_faces, ref, 24.0)
        for i in range(3):
            t = tracker.update(frame, i)
            assert t is not None and ((t.box[2] <= 512) == left)
            assert tracker.measure(frame, t) < 0.3


def test_tracker_reports_frames_without_a_face(dlib_faces, astronaut) -> None:
    tracker = FaceTracker(dlib_faces, None, 24.0)
    blank = np.full_like(astronaut, 90)
    assert tracker.update(astronaut, 0) is not None
    assert tracker.update(blank, 1) is None
    t = tracker.update(astronaut, 2)
    assert t is not None and t.track_id == 1  # a short gap continues the track
    assert tracker.update(blank, 30) is None
    assert tracker.update(astronaut, 31).track_id == 2


def _small_walker(astronaut: np.ndarray, dlib_faces) -> tuple[np.ndarray, PoseSequence]:
    """The astronaut at a quarter size (a ~25 px face, a full-body dancer's) jumping 40 px a frame
    across a 512x320 frame, and a pose with her nose and neck where they are."""
    box = dlib_faces.detect(astronaut)[0].box / 4
    small = cv2.resize(astronaut, (128, 128), interpolation=cv2.INTER_AREA)
    nose = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
    frames = np.full((6, 320, 512, 3), 120, np.uint8)
    pose = PoseSequence.empty(6, 512, 320, 10.0)
    for i in range(6):
        x, y = 20 + 70 * i, 100
        frames[i, y : y + 128, x : x + 128] = small
        at = nose + (x, y)
        pose.body[i, J["nose"]] = (*(at / (512, 320)), 1.0)
        pose.body[i, J["neck"]] = (*((at + (0, box[3] - box[1])) / (512, 320)), 1.0)
    return frames, pose


def _follows_heads(dlib_faces, frames: np.ndarray, heads: np.ndarray) -> None:
    """A tracker given `heads` finds the face in each frame, inside that frame's head box."""
    tracker = FaceTracker(dlib_faces, None, 10.0, heads=heads)
    for i, frame in enumerate(frames):  # each jump leaves the last face's window
        t = tracker.update(frame, i)
        assert t is not None
        cx, cy = (t.face.box[:2] + t.face.box[2:]) / 2
        assert heads[i, 0] <= cx <= heads[i, 2] and heads[i, 1] <= cy <= heads[i, 3]


def test_head_boxes_sit_on_the_nose_two_nose_to_neck_lengths_wide() -> None:
    pose = PoseSequence.empty(2, 400, 200, 10.0)
    pose.body[:, J["nose"]] = (0.5, 0.25, 1.0)  # (200, 50) px
    pose.body[:, J["neck"]] = (0.5, 0.5, 1.0)  # 50 px below
    pose.body[1, J["nose"], 2] = 0.1  # not shown
    boxes = head_boxes(pose, 400, 200)
    assert np.allclose(boxes[0], [150, 0, 250, 100])
    assert np.isnan(boxes[1]).all()
    assert np.allclose(head_boxes(pose, 800, 400)[0], [300, 0, 500, 200])  # in the frame's pixels


def test_head_boxes_without_a_neck_are_spreads_of_the_face_points(hopper_path) -> None:
    """A head cut off at the neck (a head-only photo's pose) still gets a box on its nose, SPREAD_SIZE
    spreads of its face points wide: on Grace Hopper's photo, which shows both, within a quarter of
    the neck-based box."""
    from dhcore.pose import extract

    pose = PoseSequence.empty(3, 400, 200, 10.0)
    pose.body[:, J["nose"]] = (0.5, 0.25, 1.0)  # (200, 50) px
    pose.body[:2, J["r_eye"]] = (0.45, 0.2, 1.0)  # (180, 40) px
    pose.body[:2, J["l_ear"]] = (0.6, 0.2, 1.0)  # (240, 40) px: 60 px from the eye, the spread
    pose.body[1, J["nose"], 2] = 0.0  # no nose: no box
    pose.body[2, J["r_eye"]] = (0.45, 0.2, 1.0)  # the nose and one eye: too few to size a face
    boxes = head_boxes(pose, 400, 200)
    assert np.allclose(boxes[0], [200 - 75, 50 - 75, 200 + 75, 50 + 75])
    assert np.isnan(boxes[1:]).all()

    photo, _ = extract._extract_photo(hopper_path, extract.Params(parts="body"), None)
    body = photo.body.copy()
    body[:, J["neck"]] = (np.nan, np.nan, 0.0)
    with_neck = head_boxes(photo, photo.width, photo.height)[0]
    without = head_boxes(photo.replace(body=body), photo.width, photo.height)[0]
    assert np.allclose((with_neck[:2] + with_neck[2:]) / 2, (without[:2] + without[2:]) / 2)
    assert 0.8 < (without[2] - without[0]) / (with_neck[2] - with_neck[0]) < 1.25


def test_tracker_looks_for_a_lost_face_where_a_head_only_pose_puts_it(
    dlib_faces, astronaut, astronaut_path
) -> None:
    """The same search with the face points alone (no neck), as a head-only photo's target gives."""
    from dhcore.pose import extract

    frames, pose = _small_walker(astronaut, dlib_faces)
    photo, _ = extract._extract_photo(astronaut_path, extract.Params(parts="body"), None)
    face = list(FACE_JOINTS)
    for i in range(len(frames)):  # the astronaut's real face points, at her quarter size and place
        pose.body[i] = (np.nan, np.nan, 0.0)
        pose.body[i, face, :2] = (photo.body[0, face, :2] * 128 + (20 + 70 * i, 100)) / (512, 320)
        pose.body[i, face, 2] = photo.body[0, face, 2]
    heads = head_boxes(pose, 512, 320)
    assert np.isfinite(heads).all()
    _follows_heads(dlib_faces, frames, heads)


def test_tracker_looks_for_a_lost_face_where_the_pose_puts_it(dlib_faces, astronaut) -> None:
    frames, pose = _small_walker(astronaut, dlib_faces)
    heads = head_boxes(pose, 512, 320)
    _follows_heads(dlib_faces, frames, heads)
    # the pose puts the face lower: a new track is found in the whole frame, a lost one only there
    tracker = FaceTracker(dlib_faces, None, 10.0, heads=heads + np.float32([0, 150, 0, 150]))
    assert tracker.update(frames[0], 0) is not None
    assert tracker.update(frames[1], 1) is None and tracker.update(frames[2], 2) is None
