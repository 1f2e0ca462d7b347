"""body_integrity: one piece of plausible area, on masks and on a real photo."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from dhcore.media.frames import FrameWriter
from dhcore.metrics import integrity
from tests import realdata


def test_pieces_ignores_specks_and_counts_torn_parts() -> None:
    mask = np.zeros((100, 100), bool)
    mask[20:80, 40:60] = True
    assert integrity.pieces(mask) == 1
    mask[0, 0] = True  # a speck under 3 % of the area
    assert integrity.pieces(mask) == 1
    mask[20:80, 75:90] = True  # a strip torn off
    assert integrity.pieces(mask) == 2
    assert integrity.pieces(np.zeros((10, 10), bool)) == 0


def test_whole_frames_need_one_piece_and_a_plausible_area() -> None:
    whole = integrity.whole_frames([1, 1, 1, 2, 0, 1, 1], [0.2, 0.21, 0.19, 0.2, 0.0, 0.05, 0.5])
    assert whole == [True, True, True, False, False, False, False]


def test_a_real_person_is_whole_and_the_same_person_cut_apart_is_not(tmp_path: Path) -> None:
    realdata.path("footballer")
    photo = cv2.resize(realdata.rgb("footballer"), (512, 320))
    torn = photo.copy()
    # the body cut at the waist: the upper half slides far away, leaving the background between
    upper = photo[:170, 150:330].copy()
    torn[:170, 150:330] = cv2.blur(photo[:170, 150:330], (61, 61))
    torn[:170, 330:510] = upper
    frames = tmp_path / "frames.nut"
    with FrameWriter(frames, 10, 512, 320) as writer:
        writer.write(np.stack([photo] * 6 + [torn] * 6))
    whole = integrity.per_frame(frames)
    assert all(whole[:6]), whole
    assert sum(whole[6:]) <= 2, whole
