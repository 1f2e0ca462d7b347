"""The target of a photo that shows only a head: the driver's head move, limited in roll, size and in how
much of the filled background it uncovers."""

from __future__ import annotations

import numpy as np
import pytest

from dhcore.demo.dance import make_dance
from dhcore.pose import align, head_only
from dhcore.pose.keypoints import J, PoseSequence
from dhcore.pose.skeleton_tree import FACE, N_POINTS

W = H = 512
_FACE = [J[n] for n in ("nose", "r_eye", "l_eye", "r_ear", "l_ear")]
#: a face filling the frame, as a tight face crop shows it (pixels)
PHOTO_FACE = {
    "nose": (256, 300),
    "r_eye": (190, 220),
    "l_eye": (322, 220),
    "r_ear": (60, 240),
    "l_ear": (452, 240),
}


def _reference() -> tuple[np.ndarray, np.ndarray]:
    ref = np.full((N_POINTS, 3), np.nan)
    ref[:, 2] = 0.0
    for name, (x, y) in PHOTO_FACE.items():
        ref[J[name]] = (x / W, y / H, 1.0)
    return ref, ref[:, 2] > 0.3


def _frames(moves: list[tuple[float, float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Target points: the photo's face shifted by (dx, dy) pixels and rolled by degrees about its
    centre, with a neck below it and 68 face points on the nose."""
    ref, _ = _reference()
    face = ref[_FACE, :2] * (W, H)
    centre = face.mean(0)
    points = np.full((len(moves), N_POINTS, 3), np.nan)
    points[..., 2] = 0.0
    for f, (dx, dy, degrees) in enumerate(moves):
        t = np.deg2rad(degrees)
        rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
        points[f, _FACE, :2] = ((face - centre) @ rot.T + centre + (dx, dy)) / (W, H)
        points[f, _FACE, 2] = 0.9
        points[f, J["neck"]] = ((centre[0] + dx) / W, (centre[1] + 300 + dy) / H, 0.9)
        points[f, FACE:] = (*points[f, J["nose"], :2], 0.8)
    return points, points[..., 2] > 0.3


def _roll(points: np.ndarray) -> float:
    eyes = (points[J["l_eye"], :2] - points[J["r_eye"], :2]) * (W, H)
    return float(np.degrees(np.arctan2(eyes[1], eyes[0])))


def _uncovered(dx: float, dy: float) -> float:
    """Share of a frame-filling photo a shift uncovers."""
    return 1.0 - (1.0 - abs(dx) / W) * (1.0 - abs(dy) / H)


def test_a_small_move_is_kept_whole_and_only_the_head_is_asked_for() -> None:
    ref, ref_vis = _reference()
    points, vis = _frames([(0, 0, 0), (6, -4, 5)])
    out, kept = head_only.limit(points, vis, ref, ref_vis, W, H)
    assert kept.tolist() == [1.0, 1.0]
    assert np.allclose(out[:, _FACE, :2], points[:, _FACE, :2], atol=1e-6)
    asked = out[..., 2] > 0
    assert asked[:, _FACE].all() and asked[:, FACE:].all()
    assert not np.delete(asked, [*_FACE, *range(FACE, N_POINTS)], axis=1).any()  # no neck, body or hands


def test_a_large_move_is_cut_down_until_little_of_the_frame_is_uncovered() -> None:
    ref, ref_vis = _reference()
    points, vis = _frames([(0, 0, 0)] + [(160, -120, 0)] * 11)
    out, kept = head_only.limit(points, vis, ref, ref_vis, W, H)
    shift = (out[10, J["nose"], :2] - ref[J["nose"], :2]) * (W, H)
    assert 0.0 < kept[10] < 0.5
    assert shift[0] > 0 and shift[1] < 0  # still the driver's way
    assert 0.03 < _uncovered(*shift) <= head_only.FILLED + 0.005
    assert np.allclose(shift, kept[10] * np.array([160, -120]), atol=0.5)


def test_the_head_moves_from_where_the_photo_has_it_at_the_align_frame() -> None:
    ref, ref_vis = _reference()
    points, vis = _frames([(30, 20, 10), (36, 16, 10)])  # the driver's head already moved and rolled
    out, _ = head_only.limit(points, vis, ref, ref_vis, W, H, start=0)
    assert np.allclose(out[0, _FACE, :2], ref[_FACE, :2], atol=1e-6)
    assert np.allclose((out[1, _FACE, :2] - ref[_FACE, :2]) * (W, H), (6, -4), atol=1e-6)


@pytest.mark.parametrize("degrees", [45.0, -90.0, 180.0])
def test_the_roll_is_limited_and_never_upside_down(degrees: float) -> None:
    ref, ref_vis = _reference()
    points, vis = _frames([(0, 0, 0), (0, 0, degrees)])
    out, _ = head_only.limit(points, vis, ref, ref_vis, W, H)
    roll = _roll(out[1]) - _roll(ref)
    assert abs(roll) <= head_only.MAX_ROLL + 1e-6
    assert roll * np.sin(np.deg2rad(degrees)) >= 0  # the driver's way, where it has one


def test_a_frame_without_a_face_follows_the_neck() -> None:
    ref, ref_vis = _reference()
    points, vis = _frames([(0, 0, 0), (8, 0, 0)])
    points[1, _FACE] = (np.nan, np.nan, 0.0)  # seen from behind: the neck alone
    vis = points[..., 2] > 0.3
    out, _ = head_only.limit(points, vis, ref, ref_vis, W, H)
    assert np.allclose((out[1, _FACE, :2] - ref[_FACE, :2]) * (W, H), (8, 0), atol=1e-6)
    assert np.allclose(out[1, _FACE, 2], 0.9)


def test_align_places_a_head_only_photo_on_its_face_and_asks_for_nothing_else() -> None:
    ref, _ = _reference()
    reference = PoseSequence.empty(1, W, H, 1.0)
    reference = reference.replace(body=ref[None, :18].astype(np.float32))
    driver = make_dance(seconds=1.0, fps=24, width=W, height=H)
    target, info = align.align(reference, driver, align.Params(width=W, height=H))
    assert info.head_only_kept is not None
    assert not [w for w in info.warnings if "could not be measured" in w]  # no body scales to speak of
    seen = target.visible()
    assert seen[:, _FACE].all() and not np.delete(seen, _FACE, axis=1).any()
    first = target.body[info.offset_frame, J["nose"], :2] * (W, H)
    assert np.linalg.norm(first - PHOTO_FACE["nose"]) < 0.05 * W  # where the photo has it
    rolls = [_roll(np.concatenate([b, np.zeros((N_POINTS - 18, 3))])) for b in target.body]
    assert np.abs(np.array(rolls) - _roll(ref)).max() <= head_only.MAX_ROLL + 1e-6


def test_align_still_refuses_a_reference_without_neck_or_face() -> None:
    reference = PoseSequence.empty(1, W, H, 1.0)
    body = reference.body.copy()
    body[0, J["r_wrist"]] = (0.5, 0.5, 1.0)
    with pytest.raises(Exception, match="no visible neck"):
        align.align(
            reference.replace(body=body), make_dance(seconds=0.5, fps=24), align.Params(width=W, height=H)
        )
