"""UniAnimate's long-video windows equal the shared open placement for every length above one window.

The release (ARCHITECTURE.md §10): starts 0, stride, 2*stride, … while start < F - overlap, each
window wrapping modulo F; then the last window is replaced by the one ending on the last frame.
"""

from __future__ import annotations

import math

from dhcore.animate.animate_anyone.windows import context_windows


def release_windows(frames: int, size: int = 32, overlap: int = 8) -> list[list[int]]:
    stride = size - overlap
    windows = [[(j + k) % frames for k in range(size)] for j in range(0, frames - overlap, stride)]
    step = min(1, math.ceil(math.log2(frames / size)) + 1)  # context_stride 1
    windows[-1] = [i % frames for i in range(frames - size * step, frames)]
    return windows


def test_release_windows_are_the_open_placement() -> None:
    assert release_windows(36) == [list(range(32)), list(range(4, 36))]  # the golden's windows
    assert release_windows(60) == [list(range(32)), list(range(24, 56)), list(range(28, 60))]
    for frames in range(33, 400):
        assert release_windows(frames) == context_windows(frames, 32, 8), frames


def test_short_videos_use_one_window_without_repeats() -> None:
    # the release would fill a 32-frame window with repeated indices (and fail for F <= 16)
    assert context_windows(20, 32, 8) == [list(range(20))]
