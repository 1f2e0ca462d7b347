"""A bust's retargeted pose: its shoulder line and head turned about the neck no further than a bust can."""

from __future__ import annotations

import numpy as np
import pytest

from dhcore.pose import align as A
from dhcore.pose import bust
from dhcore.pose import skeleton_tree as T
from dhcore.pose.keypoints import N_FACE, N_HAND, J, PoseSequence

FACE = ["nose", "r_eye", "l_eye", "r_ear", "l_ear"]
HEAD = [J[n] for n in FACE]
ARMS = ["r_shoulder", "l_shoulder", "r_elbow", "l_elbow"]
BUST = {
    "nose": (100, 60), "r_eye": (90, 50), "l_eye": (110, 50), "r_ear": (80, 55), "l_ear": (120, 55),
    "neck": (100, 110), "r_shoulder": (60, 115), "l_shoulder": (140, 115),
    "r_elbow": (50, 190), "l_elbow": (150, 190),
}  # fmt: skip


def _pose(frames: list[dict[str, tuple[float, float]]], size: int = 200) -> PoseSequence:
    body = np.zeros((len(frames), 18, 3), np.float32)
    body[..., :2] = np.nan
    for f, named in enumerate(frames):
        for name, xy in named.items():
            body[f, J[name]] = (xy[0] / size, xy[1] / size, 1.0)
    hands = np.zeros((len(frames), 2, N_HAND, 3), np.float32)
    face = np.zeros((len(frames), N_FACE, 3), np.float32)
    return PoseSequence(body, hands, face, size, size, 10.0)


def _turned(named: dict, about: str, degrees: float, moved: list[str]) -> dict:
    t = np.deg2rad(degrees)
    c, s = np.cos(t), np.sin(t)
    ax, ay = named[about]
    out = dict(named)
    for n in moved:
        x, y = named[n][0] - ax, named[n][1] - ay
        out[n] = (ax + c * x - s * y, ay + s * x + c * y)
    return out


def _angles(points: np.ndarray) -> tuple[float, float]:
    """(shoulder line, neck-to-face) angles in degrees, in pixels of a 200x200 frame."""
    xy = points[:, :2] * 200
    line = xy[J["l_shoulder"]] - xy[J["r_shoulder"]]
    up = xy[HEAD].mean(0) - xy[J["neck"]]
    return float(np.degrees(np.arctan2(line[1], line[0]))), float(np.degrees(np.arctan2(up[0], -up[1])))


def _limited(ref: PoseSequence, drv: PoseSequence) -> np.ndarray:
    pts, rpts = T.flatten(drv), T.flatten(ref)[0]
    return bust.lean_limited(pts, T.visible(pts, 0.3), rpts, T.visible(rpts[None], 0.3)[0], 200, 200)


@pytest.mark.parametrize("degrees", [-40.0, 35.0])
def test_a_side_view_drivers_shoulders_and_face_are_turned_into_the_bust_s_reach(degrees):
    """A walker seen from the side tilts its shoulder line 30-45 degrees and has its face 50-70
    degrees ahead of its neck: a frontal bust cannot show that without turning like a cardboard cut-out."""
    drv = _turned(_turned(BUST, "neck", degrees, ARMS), "neck", 2 * degrees, FACE)
    out = _limited(_pose([BUST]), _pose([drv]))[0]
    line, head = _angles(out)
    assert abs(line) == pytest.approx(bust.LEAN, abs=1e-4)
    assert abs(head) == pytest.approx(bust.HEAD_SWING, abs=1e-4)
    xy, before = out[:, :2] * 200, T.flatten(_pose([drv]))[0, :, :2] * 200
    np.testing.assert_allclose(xy[J["neck"]], before[J["neck"]], atol=1e-4)  # turned about the neck
    for arm in ("r", "l"):  # the arm moves with its shoulder, unturned
        np.testing.assert_allclose(
            xy[J[f"{arm}_elbow"]] - xy[J[f"{arm}_shoulder"]],
            before[J[f"{arm}_elbow"]] - before[J[f"{arm}_shoulder"]], atol=1e-4,
        )  # fmt: skip


def test_a_lean_within_the_limits_is_kept_exactly():
    drv = _turned(BUST, "neck", 8.0, ARMS + FACE)
    np.testing.assert_allclose(_limited(_pose([BUST]), _pose([drv])), T.flatten(_pose([drv])), atol=1e-9)


def test_align_limits_a_bust_but_not_a_photo_that_shows_its_hips():
    drv = _turned(BUST, "neck", -40.0, ARMS)
    drv |= {"r_hip": (75, 260), "l_hip": (125, 260)}
    params = A.Params(width=200, height=200, keep_in_frame=False)
    out, _ = A.align(_pose([BUST]), _pose([drv]), params)
    assert abs(_angles(T.flatten(out)[0])[0]) == pytest.approx(bust.LEAN, abs=0.5)
    full = BUST | {"r_hip": (75, 190), "l_hip": (125, 190)}
    out, _ = A.align(_pose([full]), _pose([drv]), params)
    assert abs(_angles(T.flatten(out)[0])[0]) == pytest.approx(40.0, abs=0.5)


def test_a_back_view_kept_as_detected_is_no_lean():
    """Shoulders crossed (a driver seen from behind, `back_views: as_detected`) are not straightened."""
    drv = _turned(BUST, "neck", 180.0, ARMS)
    out = _limited(_pose([BUST]), _pose([drv]))[0]
    np.testing.assert_allclose(out[:18], T.flatten(_pose([drv]))[0, :18], atol=1e-9)
