"""Shared fixtures for the pose tests: a real photo, its detected pose, and a short dance video."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from skimage import data

from dhcore.demo.dance import make_dance, render_dance_video
from dhcore.pose.keypoints import PoseSequence


@pytest.fixture(scope="session")
def astronaut_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("photos") / "astronaut.png"
    cv2.imwrite(str(path), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture(scope="session")
def astronaut_pose(astronaut_png: Path, tmp_path_factory: pytest.TempPathFactory) -> PoseSequence:
    """The astronaut's pose as MediaPipe detects it (the demo's reference pose)."""
    from dhcore.pose import extract

    result = extract.STAGE.call(tmp_path_factory.mktemp("ref"), source=astronaut_png)
    return PoseSequence.load(result.outputs["pose"].path)


@pytest.fixture(scope="session")
def dance_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[PoseSequence, Path]:
    """One second of the procedural dancer drawn as a cartoon person, and the keypoints drawn."""
    truth = make_dance(seconds=1.0, fps=24)
    path = tmp_path_factory.mktemp("video") / "dance.mp4"
    render_dance_video(truth, path)
    return truth, path
