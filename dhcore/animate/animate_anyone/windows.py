"""Context windows: which frames each denoiser call sees (the same windows at every step).

Two placements:
* open (default): windows of `window` frames every `window - overlap` frames; the last one is
  moved back so that it ends on the last frame. No window ever wraps around to the first frames.
* closed loop (the Moore/Champ scripts' `closed_loop=True`): windows start every
  `window - overlap` frames while the start is inside the video, and wrap around modulo the length;
  the first frames then also depend on the last ones (and cannot be finished before them).
For the lengths MusePose's script produces (it pads so that frames - window is a multiple of
window - overlap) the open placement equals MusePose's.
"""

from __future__ import annotations


def context_windows(frames: int, window: int, overlap: int, closed_loop: bool = False) -> list[list[int]]:
    if frames < 1:
        raise ValueError("a video needs at least one frame")
    if window < 1 or not 0 <= overlap < window:
        raise ValueError(f"need window >= 1 and 0 <= overlap < window (got {window}, {overlap})")
    if frames <= window:
        return [list(range(frames))]
    stride = window - overlap
    if closed_loop:
        return [[(s + k) % frames for k in range(window)] for s in range(0, frames, stride)]
    starts = list(range(0, frames - window, stride)) + [frames - window]
    return [list(range(s, s + window)) for s in starts]
