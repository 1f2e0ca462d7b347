"""Per-joint body depth: optional in pose files, measured by MediaPipe, carried by smooth and align."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dhcore.demo.dance import make_dance
from dhcore.errors import InputError
from dhcore.pose import align as A
from dhcore.pose import facing, smooth
from dhcore.pose.extract_mediapipe import MediaPipeDetector
from dhcore.pose.keypoints import J, PoseSequence


def _with_depth(pose: PoseSequence, seed: int = 0) -> PoseSequence:
    rng = np.random.default_rng(seed)
    depth = np.zeros((len(pose), 18), np.float32)
    depth[:, J["r_wrist"]] = -0.2  # the right hand nearer the camera than the body
    return pose.replace(depth=depth + rng.normal(0, 0.02, depth.shape).astype(np.float32))


def test_depth_is_optional_in_files_and_round_trips(tmp_path: Path) -> None:
    plain = make_dance(seconds=0.5)
    plain.save(tmp_path / "plain.npz")
    assert PoseSequence.load(tmp_path / "plain.npz").depth is None  # files without depth still load
    deep = _with_depth(plain)
    deep.save(tmp_path / "deep.npz")
    loaded = PoseSequence.load(tmp_path / "deep.npz")
    np.testing.assert_array_equal(loaded.depth, deep.depth)
    assert loaded.slice(2, 5).depth.shape == (3, 18)
    with pytest.raises(InputError, match="depth has shape"):
        plain.replace(depth=np.zeros((len(plain), 17), np.float32))


def test_mediapipe_gives_each_visible_joint_a_depth(astronaut_png: Path) -> None:
    from dhcore.pose.extract import read_image

    with MediaPipeDetector(video=False, parts="body") as detector:
        body = detector.detect(read_image(astronaut_png))[0]
        depth = detector.depth.copy()
        detector.detect(np.zeros((256, 256, 3), np.uint8))  # nobody: no depth
        assert np.isnan(detector.depth).all()
    seen = body[:, 2] >= 0.5
    assert np.isfinite(depth[seen]).all() and seen.sum() >= 8
    # MediaPipe's origin is between the hips; the face is nearer the camera than the hips' depth
    assert depth[J["nose"]] < 0


def test_smooth_keeps_and_steadies_the_depth() -> None:
    deep = _with_depth(make_dance(seconds=2.0))
    out = smooth.smooth(deep, smooth.Params())
    assert out.depth is not None and out.depth.shape == deep.depth.shape
    raw_jitter = np.abs(np.diff(deep.depth, axis=0)).mean()
    assert np.abs(np.diff(out.depth, axis=0)).mean() < 0.7 * raw_jitter
    assert np.nanmean(out.depth[:, J["r_wrist"]]) < np.nanmean(out.depth[:, J["neck"]]) - 0.1


def test_align_carries_depth_in_shoulder_widths_and_swaps_it_for_back_views(astronaut_pose) -> None:
    deep = _with_depth(make_dance(seconds=1.0))
    target, _ = A.align(astronaut_pose, deep, A.Params(width=512, height=512))
    shoulder = np.linalg.norm(
        (deep.body[:, J["r_shoulder"], :2] - deep.body[:, J["l_shoulder"], :2]) * (1, 1 / deep.aspect), axis=1
    )
    np.testing.assert_allclose(target.depth, deep.depth / np.median(shoulder), rtol=1e-5)
    assert A.align(astronaut_pose, make_dance(seconds=1.0), A.Params(width=512, height=512))[0].depth is None
    flipped = np.array([False, True])
    swapped = facing.depth_as_front_views(deep.depth[:2], flipped)
    np.testing.assert_array_equal(swapped[0], deep.depth[0])
    # seen from behind, the hand nearest the camera was the right one in front of the back; as a
    # front view it is the left hand, behind the chest
    assert swapped[1, J["l_wrist"]] == -deep.depth[1, J["r_wrist"]] > 0
