"""evaluate.pose_pck: PCK@0.1 of re-detected poses against the target, and the stage on real video."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dhcore.demo.dance import make_dance, render_dance_video
from dhcore.errors import InputError
from dhcore.media.frames import FrameWriter, iter_frames
from dhcore.metrics import pck as P
from dhcore.pose.keypoints import UPPER_BODY, J, PoseSequence


def _target() -> PoseSequence:
    pose = PoseSequence.empty(1, 400, 400, 24.0)
    pts = {"nose": (0.5, 0.2), "neck": (0.5, 0.3), "r_shoulder": (0.4, 0.3), "l_shoulder": (0.6, 0.3),
           "r_elbow": (0.35, 0.45), "l_elbow": (0.65, 0.45), "r_wrist": (0.33, 0.6), "l_wrist": (0.67, 0.6),
           "r_eye": (0.48, 0.18), "l_eye": (0.52, 0.18), "r_ear": (0.46, 0.19), "l_ear": (0.54, 0.19),
           "r_hip": (0.45, 0.7), "l_hip": (0.55, 0.7)}  # fmt: skip
    for name, (x, y) in pts.items():
        pose.body[0, J[name]] = (x, y, 1.0)
    return pose


def test_body_size_is_the_torso_the_shoulder_width_or_twice_the_face() -> None:
    target = _target()
    assert P.body_size(target) == pytest.approx(0.4 * 400)  # neck (y .3) to mid-hip (y .7)
    target.body[0, J["r_hip"], 2] = 0.0
    assert P.body_size(target) == pytest.approx(0.2 * 400)  # shoulder width
    target.body[0, J["r_shoulder"], 2] = 0.0
    # a head-only photo's target: twice the ear-to-ear span (x .46 to .54, y .19 both)
    assert P.body_size(target) == pytest.approx(2 * 0.08 * 400)
    target.body[0, [J[n] for n in ("nose", "r_eye", "l_eye", "r_ear", "l_ear")], 2] = 0.0
    with pytest.raises(InputError, match="neither a torso, shoulders nor a face"):
        P.body_size(target)


def test_pck_counts_joints_within_a_tenth_of_body_size() -> None:
    target = _target()
    size = P.body_size(target)  # 160 px -> tolerance 16 px
    assert P.pck(target, target) == [1.0]
    near = target.replace(body=target.body.copy())
    near.body[0, :, 0] += 15.0 / 400
    assert P.pck(target, near) == [1.0]
    far = target.replace(body=target.body.copy())
    far.body[0, J["r_wrist"], 0] += 17.0 / 400
    assert P.pck(target, far) == [pytest.approx(13 / 14)]  # all 14 joints the target has
    lost = target.replace(body=target.body.copy())
    lost.body[0, J["l_wrist"]] = (np.nan, np.nan, 0.0)
    assert P.pck(target, lost) == [pytest.approx(13 / 14)]  # not re-detected = wrong
    assert size == pytest.approx(160)


def test_only_visible_in_frame_joints_are_scored() -> None:
    target = _target()
    target.body[0, J["r_wrist"], 1] = 1.3  # below the frame: cannot be seen in the video
    target.body[0, J["l_wrist"], 2] = 0.1  # not part of the target
    detected = target.replace(body=target.body.copy())
    detected.body[0, J["r_wrist"]] = (0.0, 0.0, 1.0)  # would be wrong, but is not scored
    detected.body[0, J["l_wrist"]] = (0.0, 0.0, 1.0)
    assert P.pck(target, detected) == [1.0]
    assert P.pck(target, detected, joints=UPPER_BODY) == [1.0]
    nothing = PoseSequence.empty(2, 400, 400, 24.0)
    nothing.body[:, J["r_hip"]] = nothing.body[:, J["l_hip"]] = nothing.body[:, J["neck"]] = (0.5, 2.0, 1.0)
    nothing.body[:, J["l_hip"], 0] = 0.6
    assert P.pck(nothing, nothing) == [None, None]
    assert P.mean_pck([None, 0.5, 1.0]) == pytest.approx(0.75) and P.mean_pck([None]) == 0.0


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(InputError, match="1 frames but 2 were detected"):
        P.pck(_target(), PoseSequence.empty(2, 400, 400, 24.0))


@pytest.fixture(scope="module")
def drawn_dance(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("pck")
    truth = make_dance(seconds=1.0)
    truth.save(folder / "truth.npz")
    render_dance_video(truth, folder / "dance.mp4")
    return folder / "dance.mp4", folder / "truth.npz"


def test_stage_scores_a_video_that_shows_its_target(drawn_dance: tuple[Path, Path], tmp_path: Path) -> None:
    video, truth = drawn_dance
    result = P.STAGE.call(tmp_path / "detected", frames=video, target=truth)
    m = result.metrics
    # a drawn cartoon figure: MediaPipe puts its ankles at the drawn feet, so the whole body scores lower
    assert m["pose_pck_upper"] >= 0.9 and m["pose_pck"] >= 0.8 and m["pose_pck_joints"] == 18
    assert m["motion_follow"] >= 0.8 and m["body_integrity"] >= 0.9 and m["head_in_frame"] == 1.0
    assert m["pose_held_joints"] == 0 and not result.warnings
    assert 0.0 <= m["pose_pck_r_wrist"] <= 1.0 and "motion_follow_r_wrist" in m
    assert result.metrics["pose_pck_frames"] == 24 and len(result.series["pose_pck"]) == 24
    assert (
        result.outputs["detected"].kind == "pose"
        and len(PoseSequence.load(result.outputs["detected"].path)) == 24
    )


def test_stage_reports_body_in_frame_against_the_reference(
    drawn_dance: tuple[Path, Path], tmp_path: Path
) -> None:
    video, truth_path = drawn_dance
    truth = PoseSequence.load(truth_path)
    truth.slice(0, 1).save(tmp_path / "photo.npz")
    pushed = truth.replace(body=truth.body.copy())
    pushed.body[12:, :, 0] += 0.4  # the second half of the dance pushed past the right edge
    pushed.save(tmp_path / "pushed.npz")
    result = P.STAGE.call(
        tmp_path / "d", frames=video, target=tmp_path / "pushed.npz", reference=tmp_path / "photo.npz"
    )
    assert result.series["body_in_frame"] == [1.0] * 12 + [0.0] * 12
    assert result.metrics["body_in_frame"] == pytest.approx(0.5)
    assert "body_in_frame" not in P.STAGE.call(tmp_path / "e", frames=video, target=truth_path).metrics


def test_stage_scores_low_when_the_video_shows_another_pose(
    drawn_dance: tuple[Path, Path], tmp_path: Path
) -> None:
    video, truth_path = drawn_dance
    truth = PoseSequence.load(truth_path)
    moved = truth.replace(body=truth.body.copy())
    moved.body[..., 0] += 0.15  # the same dance, 77 px to the right
    moved.save(tmp_path / "moved.npz")
    assert P.STAGE.call(tmp_path / "d", frames=video, target=tmp_path / "moved.npz").metrics["pose_pck"] < 0.2


def test_a_still_copy_scores_low_and_its_moving_joints_are_held(
    drawn_dance: tuple[Path, Path], tmp_path: Path
) -> None:
    video, truth = drawn_dance
    first = next(iter_frames(video))[:1]
    still = tmp_path / "still.nut"
    with FrameWriter(still, 24, first.shape[2], first.shape[1]) as w:
        w.write(np.repeat(first, 24, axis=0))
    result = P.STAGE.call(tmp_path / "d", frames=still, target=truth)
    m = result.metrics
    assert m["motion_follow"] < 0.2 and m["pose_pck_limbs"] < 0.3 and m["pose_pck"] < 0.8
    assert m["pose_held_joints"] >= 2 and "held still" in result.warnings[0]
    assert m["body_integrity"] >= 0.9  # a still photo is still one whole person


def test_frame_count_mismatch_is_an_input_error(tmp_path: Path) -> None:
    video = tmp_path / "short.nut"
    with FrameWriter(video, 24, 64, 64) as w:
        w.write(np.zeros((3, 64, 64, 3), np.uint8))
    target = _target()
    target.save(tmp_path / "t.npz")
    with pytest.raises(InputError, match=r"short\.nut: has 3 frames but the target pose has 1"):
        P.STAGE.call(tmp_path / "d", frames=video, target=tmp_path / "t.npz")


def test_joints_the_reference_photo_does_not_show_are_not_scored() -> None:
    target = _target()
    reference = _target()
    reference.body[0, J["l_wrist"], 2] = 0.2  # hidden in the photo: the animator cannot move it
    params = P.Params()
    shown = P.shown_by(reference, params)
    assert not shown[J["l_wrist"]] and shown[J["r_wrist"]]
    wrong_wrist = target.replace(body=target.body.copy())
    wrong_wrist.body[0, J["l_wrist"], 0] += 0.3
    assert P.pck(target, wrong_wrist, params) == [pytest.approx(13 / 14)]
    assert P.pck(target, wrong_wrist, params, shown) == [1.0]
    wrong_wrist.body[0, J["r_wrist"], 0] += 0.3
    assert P.pck(target, wrong_wrist, params, shown) == [pytest.approx(12 / 13)]
    reference.body[0, J["l_wrist"], 2] = 0.35  # the animator moves joints from 0.3 up: scored
    assert P.shown_by(reference, params)[J["l_wrist"]]


def _moving_target(frames: int = 30) -> PoseSequence:
    """_target()'s body for `frames` frames, its right wrist swinging 40 px sideways and back."""
    one = _target()
    pose = one.replace(body=np.repeat(one.body, frames, axis=0), hands=np.repeat(one.hands, frames, axis=0),
                       face=np.repeat(one.face, frames, axis=0))  # fmt: skip
    pose.body[:, J["r_wrist"], 0] += 0.1 * np.sin(np.linspace(0, 2 * np.pi, frames))
    return pose


def test_a_held_joint_is_a_miss_even_where_it_happens_to_be_close() -> None:
    target = _moving_target()
    held = target.replace(body=target.body.copy())
    held.body[:, J["r_wrist"], 0] = target.body[0, J["r_wrist"], 0]  # never moves
    metrics, _, names = P.score(target, held, P.Params())
    assert names == ["r_wrist"] and metrics["pose_held_joints"] == 1
    assert metrics["pose_pck_r_wrist"] == 0.0 and metrics["motion_follow_r_wrist"] == 0.0
    assert metrics["pose_pck"] == pytest.approx(13 / 14) and metrics["pose_pck_limbs"] == pytest.approx(3 / 4)
    same, _, none_held = P.score(target, target, P.Params())
    assert none_held == [] and same["pose_pck"] == 1.0 and same["motion_follow"] == 1.0


def test_head_and_shoulders_have_no_limb_figure_and_the_head_must_stay_in_frame() -> None:
    target = _moving_target()
    for name in ("r_elbow", "l_elbow", "r_wrist", "l_wrist"):
        target.body[:, J[name], 2] = 0.0
    gone = target.replace(body=target.body.copy())
    gone.body[15:, J["nose"], 1] = -0.05  # the output's head leaves the frame halfway
    metrics, _, _ = P.score(target, gone, P.Params())
    assert "pose_pck_limbs" not in metrics and "motion_follow" not in metrics
    assert metrics["head_in_frame"] == pytest.approx(0.5) and "pose_pck_upper" in metrics
