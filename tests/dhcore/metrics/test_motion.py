"""motion_follow and held joints on synthetic tracks: following, attenuated, still, unrelated."""

from __future__ import annotations

import numpy as np
import pytest

from dhcore.metrics import motion
from dhcore.pose.keypoints import J, PoseSequence


def _swing(frames: int = 40, amplitude: float = 0.1) -> PoseSequence:
    """A body standing still but for the right wrist, which swings sideways."""
    pose = PoseSequence.empty(frames, 400, 400, 24.0)
    for name, (x, y) in {"neck": (0.5, 0.3), "r_elbow": (0.4, 0.45), "r_wrist": (0.38, 0.6)}.items():
        pose.body[:, J[name]] = (x, y, 1.0)
    pose.body[:, J["r_wrist"], 0] += amplitude * np.sin(np.linspace(0, 4 * np.pi, frames))
    return pose


def _scored(pose: PoseSequence) -> np.ndarray:
    return pose.visible(0.3)


def test_an_output_that_follows_scores_one_and_a_third_of_the_motion_a_third() -> None:
    target = _swing()
    size = 100.0
    follows = motion.joint_motion(target, target, _scored(target), size)
    assert set(follows) == {"r_wrist"}  # the elbow does not move: it says nothing
    assert follows["r_wrist"]["follow"] == pytest.approx(1.0)
    third = _swing(amplitude=0.1 / 3)
    moves = motion.joint_motion(target, third, _scored(target), size)
    assert moves["r_wrist"]["follow"] == pytest.approx(1 / 3, abs=1e-3)
    assert motion.motion_follow(moves) == pytest.approx(1 / 3, abs=1e-3) and motion.held_joints(moves) == []


def test_a_still_output_is_held_and_follows_zero() -> None:
    target, still = _swing(), _swing(amplitude=0.0)
    moves = motion.joint_motion(target, still, _scored(target), 100.0)
    assert moves["r_wrist"]["follow"] == 0.0 and motion.held_joints(moves) == ["r_wrist"]


def test_jitter_and_mirrored_swings_do_not_count_as_following() -> None:
    target = _swing()
    mirrored = _swing(amplitude=-0.1)
    assert motion.joint_motion(target, mirrored, _scored(target), 100.0)["r_wrist"]["follow"] == 0.0
    noisy = _swing(amplitude=0.0)
    noisy.body[:, J["r_wrist"], :2] += np.random.default_rng(0).normal(0, 0.05, (40, 2))
    moves = motion.joint_motion(target, noisy, _scored(target), 100.0)
    assert moves["r_wrist"]["follow"] < 0.3 and motion.held_joints(moves) == []  # it moves, just not so


def test_a_joint_lost_in_most_frames_follows_zero_but_is_not_called_held() -> None:
    target, lost = _swing(), _swing()
    lost.body[5:, J["r_wrist"]] = (np.nan, np.nan, 0.0)
    moves = motion.joint_motion(target, lost, _scored(target), 100.0)
    assert moves["r_wrist"]["follow"] == 0.0 and motion.held_joints(moves) == []
    assert motion.motion_follow({}) is None
