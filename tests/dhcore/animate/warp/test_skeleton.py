"""Handle transforms: fits, bone stretch, and the fallbacks for missing target joints."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dhcore.animate.warp.skeleton import (
    HANDLE_INDEX,
    HANDLES,
    Poser,
    bone_transform,
    compose,
    foot_transform,
    invert,
    similarity_fit,
)
from dhcore.pose.keypoints import J


def apply(a: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ a[:, :2].T + a[:, 2]


def test_handles_are_in_topological_order():
    seen: set[str] = set()
    for h in HANDLES:
        assert h.parent is None or h.parent in seen, h.name
        seen.add(h.name)


@settings(max_examples=50, deadline=None)
@given(
    angle=st.floats(-3.0, 3.0),
    scale=st.floats(0.6, 1.6),
    shift=st.tuples(st.floats(-200, 200), st.floats(-200, 200)),
)
def test_similarity_fit_recovers_a_similarity(angle, scale, shift):
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 300, (5, 2))
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = src @ rot.T + shift
    fit = similarity_fit(src, dst, (0.5, 2.0))
    np.testing.assert_allclose(apply(fit, src), dst, atol=1e-6)


def test_similarity_fit_clamps_scale_and_handles_one_point():
    src = np.array([[0.0, 0.0], [10.0, 0.0]])
    fit = similarity_fit(src, src * 5, (0.8, 1.25))
    assert np.isclose(np.linalg.det(fit[:, :2]), 1.25**2)
    one = similarity_fit(src[:1], src[:1] + (3, 4), (0.8, 1.25))
    np.testing.assert_allclose(one, [[1, 0, 3], [0, 1, 4]])


def test_bone_transform_maps_the_joints_and_keeps_the_width():
    p, c = np.array([10.0, 10.0]), np.array([10.0, 60.0])  # a bone pointing down, length 50
    p2, c2 = np.array([100.0, 50.0]), np.array([175.0, 50.0])  # pointing right, length 75
    a = bone_transform(p, c, p2, c2)
    np.testing.assert_allclose(apply(a, np.stack([p, c])), [p2, c2], atol=1e-9)
    # a point 8 px to the side of the bone stays 8 px to the side (width kept, not stretched)
    side = apply(a, np.array([[18.0, 35.0]]))[0]
    mid = (p2 + c2) / 2
    assert np.isclose(np.linalg.norm(side - mid), 8.0)
    assert bone_transform(p, p, p2, c2) is None  # degenerate bone


def test_compose_and_invert():
    a = np.array([[0.8, -0.6, 5.0], [0.6, 0.8, -3.0]]) * [[2], [2]]
    ident = compose(invert(a), a)
    np.testing.assert_allclose(ident, [[1, 0, 0], [0, 1, 0]], atol=1e-12)


def _stick() -> tuple[np.ndarray, np.ndarray]:
    joints = np.full((18, 2), np.nan)
    named = {
        "nose": (100, 40), "neck": (100, 80), "r_shoulder": (70, 80), "l_shoulder": (130, 80),
        "r_elbow": (60, 130), "r_wrist": (55, 180), "r_eye": (92, 34), "l_eye": (108, 34),
    }  # fmt: skip
    for name, xy in named.items():
        joints[J[name]] = xy
    return joints, np.isfinite(joints).all(axis=1)


def test_poser_identity_and_missing_joints_fall_back_relative_to_the_parent():
    ref, ok = _stick()
    poser = Poser(ref, ok)
    transforms, fallbacks = poser(np.nan_to_num(ref), ok)
    assert fallbacks == 0
    for i, h in enumerate(HANDLES):
        if poser.rigged[i]:
            np.testing.assert_allclose(transforms[i], [[1, 0, 0], [0, 1, 0]], atol=1e-9, err_msg=h.name)
    # move the whole body right by 30 px, but the target lost the wrist
    moved = ref + (30.0, 0.0)
    lost = ok.copy()
    lost[J["r_wrist"]] = False
    transforms, fallbacks = poser(np.nan_to_num(moved), lost)
    assert fallbacks == 1
    forearm = transforms[HANDLE_INDEX["r_forearm"]]
    np.testing.assert_allclose(apply(forearm, ref[[J["r_wrist"]]]), moved[[J["r_wrist"]]], atol=1e-6)
    # a frame with nothing at all keeps the last pose, never NaN
    transforms, fallbacks = poser(np.zeros((18, 2)), np.zeros(18, bool))
    assert np.isfinite(transforms).all() and fallbacks == int(poser.rigged.sum())
    np.testing.assert_allclose(transforms[HANDLE_INDEX["torso"]][:, 2], [30.0, 0.0], atol=1e-6)
    # legs are not in the reference: they are not rigged and never count as fallbacks
    assert not poser.rigged[HANDLE_INDEX["r_thigh"]]


def test_head_and_torso_never_turn_upside_down():
    """A head-and-shoulders photo: when the target's shoulders swap order (a side view misread),
    the torso turns at most 60 degrees and the head at most 30 more, each about its own place."""
    ref, ok = _portrait()
    tgt = ref.copy()
    tgt[[J["r_shoulder"], J["l_shoulder"]]] = ref[[J["l_shoulder"], J["r_shoulder"]]]  # swapped
    tgt[[J["nose"], J["r_eye"], J["l_eye"], J["r_ear"], J["l_ear"]]] = (
        2 * ref[J["neck"]] - ref[[J["nose"], J["r_eye"], J["l_eye"], J["r_ear"], J["l_ear"]]]
    )  # the face below the neck: a fit would turn the head by 180 degrees
    out, _ = Poser(ref, ok)(tgt, ok)

    def turn(a: np.ndarray) -> float:
        return float(np.degrees(np.arctan2(a[1, 0], a[0, 0])))

    torso, head = out[HANDLE_INDEX["torso"]], out[HANDLE_INDEX["head"]]
    assert abs(turn(torso)) <= 60 + 1e-6
    assert abs((turn(head) - turn(torso) + 180) % 360 - 180) <= 30 + 1e-6
    assert abs(turn(head)) < 110  # never upside down
    # the torso still sits where its joints are: its centre maps onto the target's centre
    centre = ref[[J["neck"], J["r_shoulder"], J["l_shoulder"]]].mean(0)
    np.testing.assert_allclose(apply(torso, centre[None])[0], tgt[[1, 2, 5]].mean(0), atol=1e-6)
    # an ordinary pose is not limited: a 15 degree head tilt is kept exactly
    tilt = ref.copy()
    t = np.deg2rad(15)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    face = [J[n] for n in ("nose", "r_eye", "l_eye", "r_ear", "l_ear")]
    tilt[face] = ref[J["neck"]] + (ref[face] - ref[J["neck"]]) @ rot.T
    out, _ = Poser(ref, ok)(tilt, ok)
    assert turn(out[HANDLE_INDEX["head"]]) == pytest.approx(15, abs=1e-6)
    # a 40 degree tilt (what a fit on a side view's bunched face points gives) turns 30
    t = np.deg2rad(40)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    tilt[face] = ref[J["neck"]] + (ref[face] - ref[J["neck"]]) @ rot.T
    out, _ = Poser(ref, ok)(tilt, ok)
    assert turn(out[HANDLE_INDEX["head"]]) == pytest.approx(30, abs=1e-6)


def _portrait() -> tuple[np.ndarray, np.ndarray]:
    """A frontal head-and-shoulders pose (pixels) and its ok mask."""
    ref = np.full((18, 2), np.nan)
    for name, xy in {
        "nose": (100, 60), "r_eye": (90, 50), "l_eye": (110, 50), "r_ear": (80, 55), "l_ear": (120, 55),
        "neck": (100, 110), "r_shoulder": (60, 115), "l_shoulder": (140, 115),
    }.items():  # fmt: skip
        ref[J[name]] = xy
    return ref, np.isfinite(ref).all(axis=1)


def _turn_and_scale(a: np.ndarray) -> tuple[float, float]:
    return float(np.degrees(np.arctan2(a[1, 0], a[0, 0]))), float(np.hypot(a[0, 0], a[1, 0]))


def test_a_profile_driving_a_frontal_face_keeps_the_head_turned_as_the_torso():
    """Eyes and ears bunched behind a nose that points left: no turn of the frontal face matches
    them (fitted, the head rolled by over 15 degrees against the torso), so the head keeps the
    torso's turn, and still sits where the face points are."""
    ref, ok = _portrait()
    tgt = ref.copy()
    tgt[[J["r_shoulder"], J["l_shoulder"]]] += [(0.0, 8.0), (0.0, -8.0)]  # the torso turns ~-11 degrees
    profile = {"nose": (64, 70), "r_eye": (78, 58), "l_eye": (82, 58), "r_ear": (102, 60), "l_ear": (104, 60)}
    face = [J[n] for n in profile]
    tgt[face] = list(profile.values())
    fitted = similarity_fit(ref[face], tgt[face], (0.8, 1.25))
    out, _ = Poser(ref, ok)(tgt, ok)
    turn, scale = _turn_and_scale(out[HANDLE_INDEX["head"]])
    torso_turn, _ = _turn_and_scale(out[HANDLE_INDEX["torso"]])
    assert torso_turn < -5 and abs(_turn_and_scale(fitted)[0] - torso_turn) > 15  # what was drawn
    assert abs(turn - torso_turn) < 2.0
    assert scale == pytest.approx(_turn_and_scale(fitted)[1], abs=1e-6)
    centre = ref[face].mean(0)
    np.testing.assert_allclose(
        apply(out[HANDLE_INDEX["head"]], centre[None])[0], tgt[face].mean(0), atol=1e-6
    )


def test_the_head_stays_on_the_neck_when_a_profile_puts_the_face_beside_it():
    """A driver seen from the side has its face far ahead of its neck: fitted on a frontal
    head-and-shoulders photo, the head sat beside the neck, over one shoulder (dance_real's
    walker_half_body: 50-60 degrees off the neck), and the other shoulder stood out as a flat
    shelf. A portrait's head swings at most _NECK_BEND about the neck; its turn and size stay."""
    from dhcore.animate.warp.skeleton import _NECK_BEND

    ref, ok = _portrait()
    face = [J[n] for n in ("nose", "r_eye", "l_eye", "r_ear", "l_ear")]
    neck, centre = ref[J["neck"]], ref[face].mean(0)
    for swing in (55.0, -70.0):
        t = np.deg2rad(swing)
        place = neck + np.hypot(*(centre - neck)) * np.array([np.sin(t), -np.cos(t)])
        tgt = ref.copy()
        tgt[face] = ref[face] - centre + place  # the upright face, moved beside the neck
        out, _ = Poser(ref, ok)(tgt, ok)
        head = out[HANDLE_INDEX["head"]]
        moved = apply(head, centre[None])[0] - neck
        assert abs(np.degrees(np.arctan2(moved[0], -moved[1]))) == pytest.approx(_NECK_BEND, abs=1e-6)
        assert np.hypot(*moved) == pytest.approx(np.hypot(*(centre - neck)), rel=1e-6)
        assert _turn_and_scale(head) == pytest.approx((0.0, 1.0), abs=1e-6)
    # a full-body photo's head is not limited: it sits where its face points are
    full, full_ok = ref.copy(), ok.copy()
    full[[J["r_hip"], J["l_hip"]]] = [(70, 230), (130, 230)]
    full_ok[[J["r_hip"], J["l_hip"]]] = True
    tgt = full.copy()
    tgt[face] = full[face] - centre + place
    out, _ = Poser(full, full_ok)(tgt, full_ok)
    np.testing.assert_allclose(apply(out[HANDLE_INDEX["head"]], centre[None])[0], place, atol=1e-6)
    # within the bend, the head sits exactly where its face points are
    tgt = ref.copy()
    tgt[face] += (8.0, 0.0)
    out, _ = Poser(ref, ok)(tgt, ok)
    np.testing.assert_allclose(
        apply(out[HANDLE_INDEX["head"]], centre[None])[0], centre + (8.0, 0.0), atol=1e-6
    )


def test_a_foot_lands_on_the_target_ankle_turned_as_in_the_photo_until_the_ankle_would_break():
    """A shin stood upright keeps its foot flat on the ground; turned further than 45 degrees, the foot
    turns by the rest, so the ankle never bends more than 45 degrees past the photo's."""
    knee, ankle = J["r_knee"], J["r_ankle"]
    ref, ok = np.zeros((18, 2)), np.zeros(18, bool)
    ref[knee], ref[ankle] = (100.0, 100.0), (120.0, 140.0)  # a slanted shin (27 degrees off vertical)
    ok[[knee, ankle]] = True
    toe = ref[ankle] + (30.0, 0.0)  # the foot flat on the ground, pointing right
    tgt = ref.copy()
    tgt[knee], tgt[ankle] = (200.0, 100.0), (200.0, 150.0)  # upright
    fit = foot_transform((knee, ankle), ref, ok, tgt, ok)
    np.testing.assert_allclose(apply(fit, ref[[ankle]])[0], tgt[ankle], atol=1e-9)
    np.testing.assert_allclose(apply(fit, toe[None])[0], tgt[ankle] + (30.0, 0.0), atol=1e-9)
    tgt[ankle] = (160.0, 120.0)  # the shin turned 90 degrees from the photo's
    fit = foot_transform((knee, ankle), ref, ok, tgt, ok)
    along = apply(fit, toe[None])[0] - tgt[ankle]
    assert np.degrees(np.arctan2(along[1], along[0])) == pytest.approx(90 - 45, abs=1e-6)
    missing = ok.copy()
    missing[ankle] = False
    assert foot_transform((knee, ankle), ref, ok, tgt, missing) is None
