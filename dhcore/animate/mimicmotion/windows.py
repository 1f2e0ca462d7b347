"""MimicMotion's windows: every window holds frame 0 (the reference pose) plus a run of frames.

Windows of `size` frames start every `size - overlap` frames (frame 0 counts towards the
overlap, so neighbours share frame 0 and `overlap - 1` other frames);
when the last run does not reach the end, one more window is snapped to the end. Predictions are
fused per frame with triangular weights over the window position ("progressive latent fusion").
"""

from __future__ import annotations


def anchored_windows(frames: int, size: int, overlap: int) -> list[list[int]]:
    if frames < 1:
        raise ValueError("a video needs at least one frame")
    if size < 2 or not 1 <= overlap < size:  # overlap 0 would leave a frame between windows uncovered
        raise ValueError(f"need window >= 2 and 1 <= overlap < window (got {size}, {overlap})")
    size = min(size, frames)
    if size == frames:
        return [list(range(frames))]
    stride = size - overlap
    windows = [[0, *range(i + 1, min(i + size, frames))] for i in range(0, frames - size + 1, stride)]
    if windows[-1][-1] < frames - 1:
        windows.append([0, *range(frames - size + 1, frames)])
    return windows


def fusion_weights(size: int) -> list[float]:
    """Weight of each window position: rises from the edges to the middle."""
    return [min((p + 0.5) * 2 / size, 2 - (p + 0.5) * 2 / size) for p in range(size)]
