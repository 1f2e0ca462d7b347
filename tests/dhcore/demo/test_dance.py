"""The procedural demo dancer: deterministic, full-body, dancing, and usable on the demo photo."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from dhcore.demo.dance import make_dance, render_dance_video, save_dance
from dhcore.media.frames import iter_frames, probe
from dhcore.pose import align as A
from dhcore.pose.keypoints import J, PoseSequence


@pytest.fixture(scope="module")
def dance() -> PoseSequence:
    return make_dance()


@pytest.fixture(scope="module")
def astronaut_pose(tmp_path_factory: pytest.TempPathFactory) -> PoseSequence:
    from dhcore.pose import extract

    folder = tmp_path_factory.mktemp("astronaut")
    cv2.imwrite(str(folder / "a.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    extract.STAGE.call(folder / "a", source=folder / "a.png")
    return PoseSequence.load(folder / "a" / "pose.npz")


def test_shape_length_and_determinism(dance: PoseSequence) -> None:
    assert (len(dance), dance.fps, dance.width, dance.height) == (192, 24.0, 512, 512)
    assert (
        (dance.body[..., 2] == 1).all()
        and (dance.hands[..., 2] == 1).all()
        and (dance.face[..., 2] == 1).all()
    )
    np.testing.assert_array_equal(make_dance().body, dance.body)
    assert not np.allclose(make_dance(seed=1).body, dance.body)
    short = make_dance(seconds=2.5, fps=30, width=640, height=480)
    assert (len(short), short.fps, short.width, short.height) == (75, 30.0, 640, 480)


def test_the_whole_dancer_stays_in_its_canvas(dance: PoseSequence) -> None:
    for part in (dance.body, dance.hands, dance.face):
        xy = part[..., :2]
        assert (xy > 0.02).all() and (xy < 0.98).all()
    assert (dance.body[:, J["r_ankle"], 1] > dance.body[:, J["r_hip"], 1]).all()


def test_it_moves_like_a_dance(dance: PoseSequence) -> None:
    b = dance.body
    for joint in ("r_wrist", "l_wrist"):
        assert np.ptp(b[:, J[joint], 1]) > 0.15  # arms wave
    assert np.ptp(b[:, J["neck"], 0]) > 0.02  # sway and travel
    assert np.ptp(b[:, J["l_knee"], 0]) > 0.01  # legs step
    head_tilt = np.arctan2(*(b[:, J["nose"], :2] - b[:, J["neck"], :2]).T[::-1])
    assert np.ptp(head_tilt) > np.deg2rad(6)
    # the bounce follows the beat: the neck's vertical motion peaks at 120 bpm = 2 Hz
    y = b[:, J["neck"], 1] - b[:, J["neck"], 1].mean()
    spectrum = np.abs(np.fft.rfft(y))
    freqs = np.fft.rfftfreq(len(y), 1 / dance.fps)
    assert freqs[np.argmax(spectrum[1:]) + 1] == pytest.approx(2.0, abs=0.15)
    # continuous: no frame-to-frame teleports (fastest: a waving fingertip, ~30 px per frame at 512)
    for part in (dance.body, dance.hands, dance.face):
        assert np.abs(np.diff(part[..., :2], axis=0)).max() < 0.08


def test_proportions_differ_from_the_demo_photo(dance: PoseSequence, astronaut_pose: PoseSequence) -> None:
    def ratio(pose: PoseSequence, a: str, b: str, c: str, d: str) -> float:
        xy = pose.body[0, :, :2] * (pose.aspect, 1)
        return float(np.linalg.norm(xy[J[b]] - xy[J[a]]) / np.linalg.norm(xy[J[d]] - xy[J[c]]))

    shoulders = ("r_shoulder", "l_shoulder")
    for bone in (("r_shoulder", "r_elbow"), ("neck", "nose"), ("r_ear", "l_ear")):
        ours, theirs = ratio(dance, *bone, *shoulders), ratio(astronaut_pose, *bone, *shoulders)
        assert abs(ours / theirs - 1) > 0.15, (bone, ours, theirs)


def test_aligned_onto_the_astronaut_the_arms_are_in_frame_and_legs_below(
    dance: PoseSequence, astronaut_pose: PoseSequence
) -> None:
    target, _ = A.align(astronaut_pose, dance, A.Params(width=512, height=512))
    b = target.body[..., :2]

    def inside(name: str) -> float:
        xy = b[:, J[name]]
        return float(((xy >= 0) & (xy <= 1)).all(-1).mean())

    for name in ("nose", "r_eye", "l_ear", "r_shoulder", "l_shoulder", "r_elbow", "l_elbow"):
        assert inside(name) == 1.0, name
    assert inside("r_wrist") > 0.85 and inside("l_wrist") > 0.7  # off only at the bottom edge, hanging
    assert (b[:, [J["r_knee"], J["l_knee"], J["r_ankle"], J["l_ankle"]], 1] > 1).all()


def test_save_and_render_video(tmp_path: Path) -> None:
    pose = make_dance(seconds=0.5, fps=24)
    path = save_dance(tmp_path / "dance.npz", seconds=0.5, fps=24)
    np.testing.assert_array_equal(PoseSequence.load(path).body, pose.body)
    video = render_dance_video(pose, tmp_path / "dance.mp4")
    info = probe(video, count_frames=True)
    assert (info.width, info.height, info.frames, info.codec) == (512, 512, 12, "h264")
    first = next(iter_frames(video))[0]
    assert first.std() > 10  # a drawn figure, not a blank frame
    skeleton = render_dance_video(pose, tmp_path / "skeleton.mp4", style="skeleton")
    assert probe(skeleton, count_frames=True).frames == 12
    with pytest.raises(ValueError, match="style"):
        render_dance_video(pose, tmp_path / "x.mp4", style="ballet")
