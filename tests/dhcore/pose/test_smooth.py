"""pose.smooth: jitter goes down, lag stays bounded, gaps never drag a point."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dhcore.pose import smooth as S
from dhcore.pose.keypoints import J, PoseSequence

FPS, SIZE = 24.0, 512


def _track(xy_px: np.ndarray, conf: np.ndarray | None = None) -> PoseSequence:
    """A pose whose right wrist follows xy_px [F, 2] (pixels); every other point missing."""
    pose = PoseSequence.empty(len(xy_px), SIZE, SIZE, FPS)
    w = J["r_wrist"]
    pose.body[:, w, :2] = xy_px / SIZE
    pose.body[:, w, 2] = 1.0 if conf is None else conf
    pose.body[pose.body[:, w, 2] == 0, w, :2] = np.nan
    return pose


def _wrist_px(pose: PoseSequence) -> np.ndarray:
    return pose.body[:, J["r_wrist"], :2].astype(np.float64) * SIZE


@pytest.mark.parametrize("seed", range(3))
def test_jitter_is_reduced_on_a_noisy_trajectory(seed: int) -> None:
    """A hand swaying 30 px at 0.25 Hz seen through 3 px of detector noise (512 px frame)."""
    t = np.arange(240) / FPS
    truth = np.stack([256 + 30 * np.sin(2 * np.pi * 0.25 * t), 256 + 15 * np.cos(2 * np.pi * 0.17 * t)], 1)
    noisy = truth + np.random.default_rng(seed).normal(0, 3.0, truth.shape)
    out = _wrist_px(S.smooth(_track(noisy), S.Params()))
    rms_before = np.sqrt(np.mean((noisy - truth) ** 2))
    rms_after = np.sqrt(np.mean((out - truth) ** 2))
    jitter_before, jitter_after = S.jitter(_track(noisy)), S.jitter(_track(out))
    assert rms_after < 0.8 * rms_before, (rms_before, rms_after)
    assert jitter_after < 0.55 * jitter_before, (jitter_before, jitter_after)
    stronger = _wrist_px(S.smooth(_track(noisy), S.Params(min_cutoff=0.5, beta=10.0)))
    assert S.jitter(_track(stronger)) < jitter_after  # lower cutoffs smooth more


def test_lag_on_a_step_is_bounded() -> None:
    x = np.where(np.arange(96) < 48, 100.0, 300.0)
    out = _wrist_px(S.smooth(_track(np.stack([x, np.full(96, 256.0)], 1)), S.Params()))[:, 0]
    assert out[47] == pytest.approx(100.0)
    remaining = (300.0 - out[48:]) / 200.0
    assert remaining[0] < 0.2  # most of the way on the first frame after the step
    assert remaining[2] < 0.02  # and there after 3 frames (1/8 s at 24 fps)
    assert (np.diff(out[48:]) >= -1e-6).all()  # no overshoot back and forth


def test_a_gap_restarts_the_filter_and_stays_missing() -> None:
    x = np.concatenate([np.full(20, 100.0), np.full(10, 0.0), np.full(20, 400.0)])
    conf = np.concatenate([np.ones(20), np.zeros(10), np.ones(20)])
    out = S.smooth(_track(np.stack([x, np.full(50, 256.0)], 1), conf), S.Params())
    px = _wrist_px(out)
    assert np.isnan(px[20:30]).all() and (out.body[20:30, J["r_wrist"], 2] == 0).all()
    assert px[30, 0] == pytest.approx(400.0)  # no drag from the old position
    assert np.isnan(out.body[:, J["nose"], :2]).all()  # a point that never appears stays missing


def test_low_confidence_points_count_as_missing() -> None:
    conf = np.full(10, 0.9)
    conf[5] = 0.1
    xy = np.tile([200.0, 200.0], (10, 1))
    out = S.smooth(_track(xy, conf), S.Params(min_confidence=0.3))
    assert np.isnan(out.body[5, J["r_wrist"], :2]).all()
    assert out.body[5, J["r_wrist"], 2] == 0


def test_stage_run(tmp_path: Path) -> None:
    noisy = 256 + np.random.default_rng(1).normal(0, 2.0, (48, 2))
    src, dst = tmp_path / "in.npz", tmp_path / "out.npz"
    _track(noisy).save(src)
    result = S.STAGE.call(dst.with_suffix(""), S.Params(min_cutoff=0.5, beta=0.1), pose=src)
    assert PoseSequence.load(result.outputs["pose"].path).body.shape == (48, 18, 3)
    assert result.outputs["pose"].kind == "pose"
    assert result.metrics["jitter_after_px"] < result.metrics["jitter_before_px"]
