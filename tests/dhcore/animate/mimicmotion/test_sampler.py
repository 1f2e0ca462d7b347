"""The anchored windowed sampler on tiny random models: windows, ordering, guidance off, and the
memory bound of `anchor="first_window"` (frames in flight independent of the video length)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dhcore.animate.mimicmotion.pipeline import Components, RunSettings, prepare
from dhcore.animate.mimicmotion.sampler import SamplerSettings
from dhcore.animate.mimicmotion.tiny import tiny_components
from dhcore.animate.mimicmotion.windows import anchored_windows, fusion_weights


@pytest.fixture(scope="module")
def parts() -> Components:
    return tiny_components()


class RandomPoses:
    """Skeleton-like images of any frame, made on demand (deterministic per frame)."""

    def __init__(self, size: tuple[int, int] = (64, 64)):
        self.size = size
        self.asked: set[int] = set()

    def images(self, frames):
        self.asked.update(frames)
        return np.stack(
            [np.random.default_rng(f).integers(0, 255, (*self.size, 3), dtype=np.uint8) for f in frames]
        )

    def forget(self, before: int) -> None:
        pass


def _run(parts: Components, frames: int, **settings) -> tuple[list[int], torch.Tensor, object]:
    image = np.random.default_rng(99).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    defaults = dict(steps=2, min_guidance=2.0, max_guidance=2.0, window=4, overlap=1, anchor="first_window")
    rows: list[int] = []
    sampler = prepare(
        parts, image, RandomPoses(), frames, RunSettings(SamplerSettings(**{**defaults, **settings}), seed=5),
        on_unet=lambda s, w, out: rows.append(out.shape[0]),
    )  # fmt: skip
    emitted = list(sampler.run())
    assert [f for f, _ in emitted] == list(range(frames))  # in order, each once
    return rows, torch.stack([lat for _, lat in emitted]), sampler


def test_windows_hold_frame_zero_and_cover_every_frame() -> None:
    assert anchored_windows(9, 4, 2) == [[0, 1, 2, 3], [0, 3, 4, 5], [0, 5, 6, 7], [0, 6, 7, 8]]
    assert anchored_windows(9, 4, 1) == [[0, 1, 2, 3], [0, 4, 5, 6], [0, 6, 7, 8]]
    assert anchored_windows(3, 16, 6) == [[0, 1, 2]]
    for frames, size, overlap in [(100, 16, 6), (73, 72, 6), (17, 5, 1), (40, 8, 7)]:
        windows = anchored_windows(frames, size, overlap)
        assert all(w[0] == 0 and len(w) == size for w in windows)
        assert set().union(*windows) == set(range(frames))
    assert fusion_weights(4) == [0.25, 0.75, 0.75, 0.25]
    with pytest.raises(ValueError, match="1 <= overlap"):
        anchored_windows(20, 4, 0)  # frames between two windows would never be denoised


def test_first_window_anchor_bounds_frames_in_flight(parts: Components) -> None:
    _, _, short = _run(parts, 21)
    _, _, long = _run(parts, 51)
    assert long.max_live_frames == short.max_live_frames < 21
    _, _, release = _run(parts, 21, anchor="all_windows")
    assert release.max_live_frames >= 21  # the release's fusion keeps the whole video in flight


def test_first_window_anchor_frames_do_not_depend_on_the_length(parts: Components) -> None:
    _, short, _ = _run(parts, 24)
    _, long, _ = _run(parts, 42)
    assert torch.equal(short[:10], long[:10])
    assert not torch.equal(short[-1], long[23])  # the last window snaps to the end of each video


def test_anchors_agree_when_one_window_covers_the_video(parts: Components) -> None:
    _, first, _ = _run(parts, 4)
    _, release, _ = _run(parts, 4, anchor="all_windows")
    assert torch.equal(first, release)


def test_guidance_at_or_below_one_runs_the_cond_branch_only(parts: Components) -> None:
    """The release crashes on max guidance <= 1; here it means no guidance (half the rows)."""
    rows, latents, sampler = _run(parts, 10, min_guidance=0.5, max_guidance=1.0)
    assert set(rows) == {1} and sampler.unet_calls == len(sampler.windows) * 2
    guided_rows, guided, _ = _run(parts, 10, min_guidance=0.5, max_guidance=3.0)
    assert set(guided_rows) == {2}
    assert torch.isfinite(latents).all() and not torch.allclose(latents, guided)
