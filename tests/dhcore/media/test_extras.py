"""Stage `render.extras`: side-by-side and skeleton overlay videos, decoded and checked panel by panel."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.errors import InputError
from dhcore.media import extras as stage
from dhcore.media.extras import (
    SIDE_BY_SIDE,
    SKELETON_OVERLAY,
    Params,
    label_layer,
    overlay,
    side_by_side,
)
from dhcore.media.frames import FrameWriter, iter_frames, probe
from dhcore.media.geometry import cover_fit

W, H = 64, 48
RESULT_RGB = (90, 120, 150)
LIMB_RGB = (255, 0, 0)


def _reference(path: Path) -> Path:
    """A 120x60 photo: left half green, right half blue (so cover-fit cropping is visible)."""
    photo = np.zeros((60, 120, 3), np.uint8)
    photo[:, :60] = (0, 200, 0)
    photo[:, 60:] = (0, 0, 200)
    cv2.imwrite(str(path), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    return path


def _skeleton_frame(i: int, width: int = W, height: int = H) -> np.ndarray:
    frame = np.zeros((height, width, 3), np.uint8)
    x = (8 + i) * width // W
    frame[:, x : x + 4 * width // W] = LIMB_RGB  # a vertical limb moving right
    return frame


def _write(path: Path, frames: list[np.ndarray], fps: Fraction = Fraction(24)) -> Path:
    with FrameWriter(path, fps, frames[0].shape[1], frames[0].shape[0]) as writer:
        writer.write(np.stack(frames))
    return path


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path, Path]:
    result = _write(tmp_path / "result.nut", [np.full((H, W, 3), RESULT_RGB, np.uint8)] * 20)
    skeleton = _write(tmp_path / "skeleton.nut", [_skeleton_frame(i) for i in range(20)])
    return _reference(tmp_path / "ref.png"), skeleton, result


def test_overlay_blends_only_where_the_skeleton_is_drawn() -> None:
    result = np.full((1, 4, 4, 3), 100, np.uint8)
    skeleton = np.zeros((1, 4, 4, 3), np.uint8)
    skeleton[0, 1, 1] = (255, 0, 0)
    skeleton[0, 2, 2] = (16, 0, 0)  # a faint anti-aliased edge pixel
    out = overlay(result, skeleton, opacity=0.8)
    assert (out[0, 0, 0] == 100).all() and (out[0, 3, 3] == 100).all()
    assert tuple(out[0, 1, 1]) == (round(100 * 0.2 + 255 * 0.8), 20, 20)
    assert 100 - 30 < out[0, 2, 2, 1] < 100  # faint pixel: partly blended


def test_side_by_side_layout_and_labels() -> None:
    reference = np.full((H, W, 3), 10, np.uint8)
    skeleton = np.full((2, H, W, 3), 20, np.uint8)
    result = np.full((2, H, W, 3), 30, np.uint8)
    plain = side_by_side(reference, skeleton, result)
    assert plain.shape == (2, H, 3 * W, 3)
    assert (
        (plain[:, :, :W] == 10).all()
        and (plain[:, :, W : 2 * W] == 20).all()
        and (plain[:, :, 2 * W :] == 30).all()
    )
    text_rgb, mask = label_layer(H, W)
    labelled = side_by_side(reference, skeleton, result, (text_rgb, mask))
    assert mask[:, :W].any() and mask[:, W : 2 * W].any() and mask[:, 2 * W :].any()
    assert (labelled[:, mask] != plain[:, mask]).any()
    assert (labelled[:, ~mask] == plain[:, ~mask]).all()
    assert not mask[H // 2 :].any()  # labels stay in the top of each panel


def test_render_extras_writes_both_videos(inputs: tuple[Path, Path, Path], media, tmp_path: Path) -> None:
    reference, skeleton, result = inputs
    tone = media.tone(1.0, channels=1)
    seen: list[tuple[int, int | None]] = []
    res = stage.STAGE.call(tmp_path / 'out', Params(labels=False, audio='file'), progress=lambda d, t: seen.append((d, t)), reference=reference, skeleton=skeleton, result=result, audio=tone)  # fmt: skip
    assert set(res.outputs) == {SIDE_BY_SIDE, SKELETON_OVERLAY}
    assert res.frames == 20 and res.warnings == []
    assert seen[-1] == (40, 40)

    sbs = res.outputs[SIDE_BY_SIDE]
    assert sbs.path == tmp_path / "out" / "side_by_side.mp4" and sbs.kind == "video"
    info = probe(sbs.path)
    assert (info.width, info.height, info.frames, info.codec, info.has_audio) == (3 * W, H, 20, "h264", True)
    frame = next(iter_frames(sbs.path))[5].astype(int)
    photo = np.zeros((60, 120, 3), np.uint8)
    photo[:, :60], photo[:, 60:] = (0, 200, 0), (0, 0, 200)
    expected_ref = cover_fit(120, 60, W, H).apply(photo).astype(int)
    inner = (slice(4, H - 4), slice(4, W // 2 - 4))  # away from the green/blue edge (chroma subsampling)
    assert np.abs(frame[:, :W][inner] - expected_ref[inner]).mean() < 6
    assert np.abs(frame[:, W : 2 * W] - _skeleton_frame(5).astype(int)).mean() < 12
    assert np.abs(frame[:, 2 * W :] - np.array(RESULT_RGB)).mean() < 4

    over = res.outputs[SKELETON_OVERLAY]
    info = probe(over.path)
    assert (info.width, info.height, info.frames) == (W, H, 20)
    frame = next(iter_frames(over.path))[5].astype(int)
    limb_x = 8 + 5 + 2
    assert frame[H // 2, limb_x, 0] > 200 and frame[H // 2, limb_x, 2] < 80  # red limb on top
    assert np.abs(frame[H // 2, 40] - np.array(RESULT_RGB)).max() < 6  # result elsewhere


def test_skeleton_of_another_size_and_length_is_fitted_with_a_warning(
    inputs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    reference, _, result = inputs
    big = _write(tmp_path / "big.nut", [_skeleton_frame(i, 2 * W, 2 * H) for i in range(12)])
    res = stage.STAGE.call(
        tmp_path / "out",
        Params(side_by_side=False, audio="none"),
        reference=reference,
        skeleton=big,
        result=result,
    )
    assert set(res.outputs) == {SKELETON_OVERLAY}
    assert res.frames == 12 and "12 frames" in res.warnings[0]
    info = probe(res.outputs[SKELETON_OVERLAY].path)
    assert (info.width, info.height, info.frames, info.has_audio) == (W, H, 12, False)


def test_unreadable_reference_is_an_input_error(inputs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, skeleton, result = inputs
    bad = tmp_path / "photo.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(InputError, match="photo.jpg: not a readable image"):
        stage.STAGE.call(tmp_path / "out", reference=bad, skeleton=skeleton, result=result)


def test_params() -> None:
    assert (stage.NAME, stage.VERSION) == ("render.extras", "1")
    p = Params()
    assert (p.side_by_side, p.skeleton_overlay, p.labels, p.overlay_opacity, p.crf, p.preset) == (
        True, True, True, 0.8, 18, "veryfast",
    )  # fmt: skip
