"""The swap engine on real photos: multiband blending, the realism figure, an open mouth kept, a
small identity photo upscaled, and realism in the photo shoot's ranking."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from dhcore.face import realism
from dhcore.face.blend import match_sharpness, multiband
from dhcore.face.color import lab_stats, match_lab
from dhcore.face.faces import box_iou
from dhcore.face.reference import reference_face
from dhcore.face.swap import MIN_REFERENCE_PX, MOUTH_OPEN, LandmarkSwapper, mouth_openness
from dhcore.shoot.select import Candidate, select

THRESHOLD = 0.6


@pytest.fixture(scope="module")
def hopper(dlib_faces, hopper_path):
    return reference_face(hopper_path, dlib_faces)


def test_multiband_keeps_the_base_outside_the_mask_and_the_top_inside() -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)
    top = np.full_like(base, 200)
    assert np.array_equal(multiband(base, top, np.zeros((96, 128), np.float32)), base)
    alpha = np.zeros((96, 128), np.float32)
    alpha[24:72, 32:96] = 1.0
    out = multiband(base, top, alpha)
    assert np.abs(out[40:56, 52:76].astype(int) - 200).max() <= 3  # deep inside: the top
    assert np.array_equal(out[:, :8], base[:, :8])  # far outside: exactly the base


def test_a_crisp_face_is_softened_to_the_frame_and_a_soft_one_left_alone(astronaut: np.ndarray) -> None:
    mask = np.zeros(astronaut.shape[:2], np.uint8)
    mask[40:200, 160:320] = 255
    soft = cv2.GaussianBlur(astronaut, (0, 0), 2.0)
    matched = match_sharpness(astronaut, soft, mask)
    grey = [
        cv2.Laplacian(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), cv2.CV_32F)[40:200, 160:320]
        for x in (astronaut, matched)
    ]
    assert np.abs(grey[1]).mean() < 0.6 * np.abs(grey[0]).mean()
    assert np.array_equal(match_sharpness(soft, astronaut, mask), soft)


def test_chroma_gain_is_bounded(astronaut: np.ndarray) -> None:
    grey = np.repeat(cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    tinted = np.clip(grey.astype(int) + [0, 0, 6], 0, 255).astype(np.uint8)  # a faint blue cast
    inside = np.ones(grey.shape[:2], bool)
    src, dst = lab_stats(tinted, inside), lab_stats(astronaut, inside)
    free = cv2.cvtColor(match_lab(tinted, src, dst), cv2.COLOR_RGB2LAB)[..., 1:].astype(float).std()
    bounded = (
        cv2.cvtColor(match_lab(tinted, src, dst, max_ab_gain=1.5), cv2.COLOR_RGB2LAB)[..., 1:]
        .astype(float)
        .std()
    )
    assert bounded < free


def test_realism_prefers_a_blended_face_to_a_pasted_patch(astronaut: np.ndarray) -> None:
    pasted, blended = astronaut.copy(), astronaut.copy()
    patch = np.full((80, 70, 3), (150, 110, 90), np.uint8)
    pasted[60:140, 180:250] = patch
    alpha = np.zeros(astronaut.shape[:2], np.float32)
    alpha[60:140, 180:250] = 1.0
    alpha = cv2.GaussianBlur(alpha, (0, 0), 8) * (alpha > 0)
    top = astronaut.copy()
    top[60:140, 180:250] = patch
    blended = multiband(astronaut, top, alpha)
    hard, soft = realism.measure(astronaut, pasted), realism.measure(astronaut, blended)
    assert hard is not None and soft is not None
    assert hard.seam > soft.seam and hard.tone > soft.tone and hard.realism < soft.realism
    assert realism.measure(astronaut, astronaut.copy()) is None  # nothing changed, nothing measured


def test_warp_distortion_is_zero_for_a_similarity() -> None:
    src = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], np.float32)
    tris = np.array([[0, 1, 2], [1, 3, 2]])
    angle = np.deg2rad(20)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    assert realism.warp_distortion(src, 3 * src @ rot.T + 5, tris) == pytest.approx(0.0, abs=1e-6)
    assert realism.warp_distortion(src, src * [2.0, 0.5], tris) == pytest.approx(2 * np.log(2), rel=1e-3)


def test_an_open_mouth_keeps_its_inner_mouth(dlib_faces, hopper, t1_image: np.ndarray) -> None:
    faces = dlib_faces.detect(t1_image)
    face = max(faces, key=lambda f: mouth_openness(f.landmarks))  # the laughing one
    assert mouth_openness(face.landmarks) > MOUTH_OPEN
    result = LandmarkSwapper(hopper)(t1_image, face.landmarks)
    assert result.mouth_kept
    inner = np.zeros(t1_image.shape[:2], np.uint8)
    cv2.fillPoly(inner, [np.round(face.landmarks[60:68]).astype(np.int32)], 255)
    inner = cv2.erode(inner, np.ones((3, 3), np.uint8)) > 0
    assert inner.sum() > 20
    moved = np.abs(result.image[inner].astype(int) - t1_image[inner].astype(int)).max(axis=1)
    assert np.mean(moved <= 12) > 0.8  # the teeth stay the target's, not stretched lips
    closed = min(faces, key=lambda f: mouth_openness(f.landmarks))
    assert not LandmarkSwapper(hopper)(t1_image, closed.landmarks).mouth_kept


def test_a_small_identity_photo_is_upscaled_and_still_carries_the_identity(
    dlib_faces, hopper, astronaut: np.ndarray
) -> None:
    small = cv2.resize(hopper.image, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    ref = replace(hopper, image=small, landmarks=hopper.landmarks * 0.25)
    span = float(np.ptp(ref.landmarks[:, 0]))
    assert span < MIN_REFERENCE_PX / 1.5
    swapper = LandmarkSwapper(ref)
    assert np.ptp(swapper.points[:68, 0]) >= min(4 * span, MIN_REFERENCE_PX) - 1
    face = dlib_faces.detect(astronaut)[0]
    result = swapper(astronaut, face.landmarks)
    found = [f for f in dlib_faces.detect(result.image) if box_iou(f.box, face.box) > 0.3]
    assert (
        found and dlib_faces.distance(dlib_faces.embed(result.image, found[0]), hopper.embedding) < THRESHOLD
    )
    figure = realism.measure(astronaut, result.image, result.distortion)
    assert figure is not None and 0 < figure.realism <= 1 and result.distortion > 0


def test_selection_ranks_a_pasted_looking_candidate_after_a_realistic_one() -> None:
    pasted = Candidate("a", 0, 0, 0.40, 0.9, realism=0.3)
    natural = Candidate("a", 1, 1, 0.42, 0.9, realism=0.9)
    assert select([pasted, natural], {"a": 1}, THRESHOLD).delivered == [natural]
    unmeasured = [Candidate("a", 0, 0, 0.40), Candidate("a", 1, 1, 0.42)]
    assert select(unmeasured, {"a": 1}, THRESHOLD).delivered == [unmeasured[0]]
