"""Fixtures of the Wan-Animate tests: a tiny random pipeline folder installed through the registry,
synthetic driving frames with face landmarks, and a single torch thread."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from dhcore.animate.wan_animate.backend import release_cache
from dhcore.animate.wan_animate.tiny import install_tiny
from dhcore.demo.dance import face_template
from dhcore.media.frames import FrameWriter
from dhcore.pose.keypoints import PoseSequence

W, H, F = 64, 48, 12  # output size (multiples of 16) and frames
DW, DH = 80, 60  # the driving video's own size


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def driving_pose(frames: int, width: int = DW, height: int = DH) -> PoseSequence:
    """A face drifting right: 68 landmarks around (0.3 + 0.02 i, 0.4), the head keypoints beside them."""
    pose = PoseSequence.empty(frames, width, height, 24.0)
    template = face_template()[:, :2]
    template = (template - template.mean(axis=0)) / np.ptp(template, axis=0).max() * 0.2
    for i in range(frames):
        centre = np.array([0.3 + 0.02 * i, 0.4])
        pose.face[i, :, :2] = template + centre
        pose.face[i, :, 2] = 0.9
        pose.body[i, 0] = (*centre, 0.9)
    return pose


def write_inputs(root: Path, frames: int = F, width: int = W, height: int = H) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    paths = {n: root / f for n, f in (("ref", "ref.png"), ("ref_pose", "ref_pose.npz"), ("target", f"target_{frames}.npz"),
             ("skeleton", f"skeleton_{frames}.nut"), ("video", f"driving_{frames}.nut"), ("pose", f"driving_{frames}.npz"))}  # fmt: skip
    cv2.imwrite(str(paths["ref"]), rng.integers(0, 255, (70, 50, 3), dtype=np.uint8))
    PoseSequence.empty(1, 50, 70, 24.0).save(paths["ref_pose"])
    PoseSequence.empty(frames, width, height, 24.0).save(paths["target"])
    driving_pose(frames).save(paths["pose"])
    with FrameWriter(paths["skeleton"], 24, width, height) as w:
        for start in range(0, frames, 16):
            w.write(rng.integers(0, 255, (min(16, frames - start), height, width, 3), dtype=np.uint8))
    with FrameWriter(paths["video"], 24, DW, DH) as w:
        for start in range(0, frames, 16):
            w.write(rng.integers(0, 255, (min(16, frames - start), DH, DW, 3), dtype=np.uint8))
    return paths


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("wan_animate")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DH_MODELS_DIR", str(root / "models"))
        install_tiny(root / "download")
        write_inputs(root)
        yield root
    release_cache()
