"""pose.render: the DWPose/ControlNet drawing convention and the frames-file stage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dhcore.media.frames import iter_frames, probe
from dhcore.pose import render as R
from dhcore.pose.keypoints import BODY_LIMBS, J, PoseSequence


def _pose(points: dict[str, tuple[float, float]], size: tuple[int, int] = (512, 512)) -> PoseSequence:
    pose = PoseSequence.empty(1, size[0], size[1], 24.0)
    for name, (x, y) in points.items():
        pose.body[0, J[name]] = (x, y, 1.0)
    return pose


def test_limb_is_a_dimmed_ellipse_and_joints_full_colour() -> None:
    pose = _pose({"neck": (0.3, 0.5), "r_shoulder": (0.7, 0.5)})  # limb 0: neck -> right shoulder
    img = R.render_frame(pose, 0)
    assert img.shape == (512, 512, 3) and img.dtype == np.uint8
    dim = tuple(int(c * 0.6) for c in R.BODY_COLORS[0])
    assert tuple(img[256, 256]) == dim
    column = img[:, 256]
    assert (column.any(axis=1)).sum() == 2 * 4 + 1  # stickwidth 4 at 512 px: 9 px thick
    assert tuple(img[256, int(0.3 * 512)]) == R.BODY_COLORS[J["neck"]]
    assert tuple(img[256, int(0.7 * 512)]) == R.BODY_COLORS[J["r_shoulder"]]
    assert not img[:200].any()  # nothing else drawn


def test_every_limb_has_its_standard_colour() -> None:
    rng = np.random.default_rng(0)
    for i, (a, b) in enumerate(BODY_LIMBS):
        pa, pb = rng.uniform(0.2, 0.4, 2), rng.uniform(0.6, 0.8, 2)
        pose = PoseSequence.empty(1, 512, 512, 24.0)
        pose.body[0, a] = (*pa, 1.0)
        pose.body[0, b] = (*pb, 1.0)
        mid = ((pa + pb) / 2 * 512).astype(int)
        assert tuple(R.render_frame(pose, 0)[mid[1], mid[0]]) == tuple(int(c * 0.6) for c in R.BODY_COLORS[i])


def test_missing_or_low_confidence_points_are_not_drawn() -> None:
    pose = _pose({"neck": (0.3, 0.5), "r_shoulder": (0.7, 0.5)})
    pose.body[0, J["r_shoulder"], 2] = 0.2
    img = R.render_frame(pose, 0)
    assert not img[256, 256].any()
    assert img[256, int(0.3 * 512)].any()  # the neck dot remains


def test_hands_and_optional_face() -> None:
    pose = PoseSequence.empty(1, 512, 512, 24.0)
    pose.hands[0, 0, 0] = (0.5, 0.5, 1.0)
    pose.hands[0, 0, 1] = (0.5, 0.3, 1.0)  # bone 0 (wrist -> thumb 1)
    pose.face[0, 0] = (0.2, 0.2, 1.0)
    img = R.render_frame(pose, 0)
    assert tuple(img[int(0.4 * 512), 256]) == R.HAND_COLORS[0]
    assert tuple(img[256, 256]) == R.HAND_DOT
    assert not img[int(0.2 * 512), int(0.2 * 512)].any()
    with_face = R.render_frame(pose, 0, face=True)
    assert tuple(with_face[int(0.2 * 512), int(0.2 * 512)]) == R.FACE_DOT
    no_hands = R.render_frame(pose, 0, hands=False)
    assert not no_hands.any()


def test_sizes_scale_with_the_canvas() -> None:
    pose = _pose({"neck": (0.3, 0.5), "r_shoulder": (0.7, 0.5)}, (1024, 1024))
    img = R.render_frame(pose, 0)
    assert (img[:, 512].any(axis=1)).sum() == 2 * 8 + 1
    assert R._sizes(256, 256) == (2, 2, 1, 2, 2)


def test_overlay_keeps_the_photo_where_nothing_is_drawn() -> None:
    photo = np.full((512, 512, 3), 77, np.uint8)
    pose = _pose({"neck": (0.3, 0.5), "r_shoulder": (0.7, 0.5)})
    out = R.overlay(photo, pose, 0)
    assert tuple(out[10, 10]) == (77, 77, 77)
    assert tuple(out[256, 256]) == tuple(int(c * 0.6) for c in R.BODY_COLORS[0])


def test_stage_streams_every_frame(tmp_path: Path) -> None:
    pose = PoseSequence.empty(20, 256, 192, 12.0)
    t = np.linspace(0, 1, 20)
    pose.body[:, J["neck"]] = np.stack([0.5 + 0 * t, 0.3 + 0 * t, np.ones(20)], 1)
    pose.body[:, J["r_wrist"]] = np.stack([0.2 + 0.5 * t, 0.6 + 0 * t, np.ones(20)], 1)
    src, out = tmp_path / "pose.npz", tmp_path / "skeleton.nut"
    pose.save(src)
    calls: list[tuple[int, int | None]] = []
    result = R.STAGE.call(
        out.with_suffix(""), R.Params(face=True), progress=lambda d, n: calls.append((d, n)), pose=src
    )
    info = probe(result.outputs["skeleton"].path)
    assert (info.width, info.height, info.frames) == (256, 192, 20)
    assert result.outputs["skeleton"].kind == "frames" and result.frames == 20
    assert calls[-1] == (20, 20)
    frames = np.concatenate(list(iter_frames(result.outputs["skeleton"].path)))
    for i in (0, 7, 19):
        np.testing.assert_array_equal(frames[i], R.render_frame(pose, i, face=True))


@pytest.mark.parametrize("size", [(512, 512), (640, 360)])
def test_stage_can_render_at_another_size(tmp_path: Path, size: tuple[int, int]) -> None:
    pose = _pose({"neck": (0.5, 0.5), "nose": (0.5, 0.3)})
    pose.save(tmp_path / "p.npz")
    R.STAGE.call(tmp_path / "s", R.Params(width=size[0], height=size[1]), pose=tmp_path / "p.npz")
    assert (
        probe(tmp_path / "s" / "skeleton.nut").width,
        probe(tmp_path / "s" / "skeleton.nut").height,
    ) == size
