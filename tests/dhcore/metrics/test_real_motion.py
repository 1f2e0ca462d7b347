"""The figures on a real person really walking: the clip itself scores high, a still frame of it low."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dhcore.media.frames import FrameWriter, iter_frames
from dhcore.metrics import pck
from dhcore.pose import extract, smooth
from tests import realdata


@pytest.fixture(scope="module")
def walker(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    realdata.path("pedestrians")
    folder = tmp_path_factory.mktemp("walker")
    clip = realdata.pedestrian_clip(folder / "walk.nut", frames=20)
    raw = extract.STAGE.call(folder / "raw", extract.Params(parts="body"), source=clip)
    smoothed = smooth.STAGE.call(folder / "smooth", pose=raw.outputs["pose"].path)
    return clip, smoothed.outputs["pose"].path


def test_the_walk_itself_follows_its_own_motion(walker: tuple[Path, Path], tmp_path: Path) -> None:
    clip, target = walker
    m = pck.STAGE.call(tmp_path, frames=clip, target=target).metrics
    assert m["pose_pck"] >= 0.9 and m["pose_pck_limbs"] >= 0.85
    assert m["motion_follow"] >= 0.8 and m["body_integrity"] >= 0.9 and m["head_in_frame"] == 1.0


def test_a_still_frame_of_the_walker_does_not_walk(walker: tuple[Path, Path], tmp_path: Path) -> None:
    clip, target = walker
    first = next(iter_frames(clip))[:1]
    still = tmp_path / "still.nut"
    with FrameWriter(still, 10, first.shape[2], first.shape[1]) as writer:
        writer.write(np.repeat(first, 20, axis=0))
    result = pck.STAGE.call(tmp_path / "d", frames=still, target=target)
    m = result.metrics
    assert m["motion_follow"] < 0.2 and m["pose_pck_limbs"] < 0.6 and m["pose_held_joints"] >= 2
    assert m["body_integrity"] >= 0.9  # a still person is still whole: integrity is not motion
