"""Frames files: bit-exact round trips in bounded chunks, and cheap exact probing."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from dhcore.media.frames import FrameWriter, iter_frames, probe


@pytest.mark.parametrize("count", [1, 2, 7, 33])
@pytest.mark.parametrize("fps", [Fraction(30000, 1001), Fraction(24), Fraction(25)])
def test_round_trip_and_frame_count(tmp_path: Path, count: int, fps: Fraction) -> None:
    frames = np.random.default_rng(count).integers(0, 256, (count, 24, 40, 3), dtype=np.uint8)
    path = tmp_path / "f.nut"
    with FrameWriter(path, fps, 40, 24) as writer:
        for start in range(0, count, 5):
            writer.write(frames[start : start + 5])
    info = probe(path)
    assert (info.width, info.height, info.fps, info.frames) == (40, 24, fps, count)
    assert probe(path, count_frames=True).frames == count
    chunks = list(iter_frames(path, chunk=4))
    assert max(len(c) for c in chunks) <= 4
    assert np.array_equal(np.concatenate(chunks), frames)
    rest = list(iter_frames(path, chunk=4, start=3))
    assert sum(len(c) for c in rest) == max(0, count - 3)
    if rest:
        assert np.array_equal(np.concatenate(rest), frames[3:])


def test_writer_rejects_wrong_shapes(tmp_path: Path) -> None:
    with (
        FrameWriter(tmp_path / "f.nut", 24, 40, 24) as writer,
        pytest.raises(ValueError, match="expected uint8"),
    ):
        writer.write(np.zeros((1, 24, 41, 3), np.uint8))
