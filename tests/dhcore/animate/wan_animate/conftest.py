"""Fixtures of the Wan-Animate tests: a tiny random pipeline folder installed through the registry,
synthetic driving frames with face landmarks, and a single torch thread."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dhcore.animate.wan_animate.backend import release_cache
from dhcore.animate.wan_animate.tiny import drifting_face_pose, install_tiny
from dhcore.animate.wan_animate.tiny import write_inputs as _write_inputs
from dhcore.pose.keypoints import PoseSequence

W, H, F = 64, 48, 12  # output size (multiples of 16) and frames
DW, DH = 80, 60  # the driving video's own size


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def driving_pose(frames: int) -> PoseSequence:
    return drifting_face_pose(frames, DW, DH)


def write_inputs(root: Path, frames: int = F) -> dict[str, Path]:
    return _write_inputs(root, frames, W, H, (DW, DH))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("wan_animate")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DH_MODELS_DIR", str(root / "models"))
        install_tiny(root / "download")
        write_inputs(root)
        yield root
    release_cache()
