"""Stage shoot.video_portrait: timeline, crossfades, Ken Burns motion, looping, sizes, and music
trimmed or padded to the film's length (real ffmpeg through the project's encode path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dhcore.demo.beat import write_beat
from dhcore.errors import InputError
from dhcore.media.frames import iter_frames, probe
from dhcore.shoot import video_portrait as vp
from tests.dhcore.shoot.shoot_helpers import write_rgb

W, H = 96, 128


def flat(value: tuple[int, int, int]) -> np.ndarray:
    return np.full((H, W, 3), value, np.uint8)


def textured(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (8, 6, 3), dtype=np.uint8)
    import cv2

    return cv2.resize(small, (W, H), interpolation=cv2.INTER_CUBIC)


def frames_of(images: list[np.ndarray], params: vp.Params) -> np.ndarray:
    return np.concatenate(list(vp.render_frames(images, params, chunk=7)))


def test_frame_count_is_duration_times_fps() -> None:
    params = vp.Params(width=W, height=H, fps=12, seconds_per_image=1.0, duration=5)
    assert vp.frame_count(3, params) == 60
    assert vp.frame_count(3, params.model_copy(update={"duration": None})) == 36  # one pass
    frames = frames_of([flat((10, 10, 10))] * 3, params)
    assert frames.shape == (60, H, W, 3) and frames.dtype == np.uint8


def test_crossfade_frames_are_linear_blends() -> None:
    params = vp.Params(width=W, height=H, fps=10, seconds_per_image=1.0, crossfade=0.4, motion="none")
    a, b = flat((200, 40, 0)), flat((0, 120, 240))
    frames = frames_of([a, b], params).astype(np.float32)
    assert len(frames) == 20
    assert np.array_equal(frames[0], a) and np.array_equal(frames[6], a)  # held
    for f in (7, 8, 9):  # t = 0.7, 0.8, 0.9: the last 0.4 s of slot 0
        w = (f / 10 - 0.6) / 0.4
        assert np.abs(frames[f] - ((1 - w) * a + w * b)).max() <= 1.0, f
    assert np.array_equal(frames[10], b) and np.array_equal(
        frames[19], b
    )  # the last image holds: no fade out


def test_images_loop_to_fill_the_duration() -> None:
    params = vp.Params(
        width=W, height=H, fps=10, seconds_per_image=1.0, crossfade=0, motion="none", duration=5
    )
    imgs = [flat((255, 0, 0)), flat((0, 255, 0))]
    frames = frames_of(imgs, params)
    firsts = [tuple(frames[s * 10, 0, 0]) for s in range(5)]
    assert firsts == [(255, 0, 0), (0, 255, 0), (255, 0, 0), (0, 255, 0), (255, 0, 0)]


def test_ken_burns_moves_each_image_deterministically() -> None:
    params = vp.Params(width=W, height=H, fps=10, seconds_per_image=2.0, crossfade=0.5)
    images = [textured(1), textured(2)]
    frames = frames_of(images, params).astype(np.int16)
    again = frames_of(images, params).astype(np.int16)
    assert np.array_equal(frames, again)
    assert np.abs(frames[0] - frames[14]).mean() > 2  # the first image moves while it is held
    moves = {vp.move_for(i, params) for i in range(6)}
    assert len(moves) == 6 and all(max(m.zoom0, m.zoom1) <= 1.12 + 1e-9 for m in moves)
    assert all(min(m.zoom0, m.zoom1) == 1.0 for m in moves)
    # an image shown again in a loop moves the same way
    looped = frames_of(images, params.model_copy(update={"duration": 8.0, "crossfade": 0.0}))
    assert np.array_equal(looped[5], looped[45])


def test_layers_progress_spans_the_visible_time() -> None:
    params = vp.Params(width=W, height=H, fps=10, seconds_per_image=1.0, crossfade=0.5)
    assert vp.layers(0, 3, params) == [(0, 0, 1.0, 0.0)]
    (_, n0, w0, p0), (_, n1, w1, p1) = vp.layers(7, 3, params)
    assert (n0, n1) == (0, 1) and w0 == pytest.approx(0.6) and w1 == pytest.approx(0.4)
    assert p0 == pytest.approx(0.7) and p1 == pytest.approx(0.2 / 1.5)


def test_encoded_video_with_music_trimmed_and_padded(tmp_path: Path) -> None:
    paths = [write_rgb(tmp_path / f"{i}.png", textured(i)) for i in range(3)]
    for seconds in (1.5, 9.0):  # shorter than the film (padded with silence), longer (trimmed)
        music = write_beat(tmp_path / f"beat_{seconds}.wav", seconds=seconds)
        params = vp.Params(width=W, height=H, fps=12, seconds_per_image=1.0, crossfade=0.25, duration=4)
        out = tmp_path / f"portrait_{seconds}" / "video_portrait.mp4"
        result = vp.STAGE.call(out.parent, params, image=list(paths), music=music)
        info = probe(out, count_frames=True)
        assert (info.width, info.height, info.frames, info.codec) == (W, H, 48, "h264")
        assert info.has_audio and info.audio_codec == "aac"
        assert info.audio_duration == pytest.approx(4.0, abs=0.03)
        assert result.frames == 48 and result.metrics["output_seconds"] == pytest.approx(4.0, abs=0.01)
        assert result.outputs["video"].kind == "video" and result.outputs["video"].meta["has_audio"]


def test_encoded_crossfade_is_a_blend_and_no_music_means_no_audio(tmp_path: Path) -> None:
    a, b = flat((220, 60, 20)), flat((20, 100, 220))
    paths = [write_rgb(tmp_path / "a.png", a), write_rgb(tmp_path / "b.png", b)]
    params = vp.Params(width=W, height=H, fps=10, seconds_per_image=1.0, crossfade=0.4, motion="none", crf=10)
    out = tmp_path / "p" / "video_portrait.mp4"
    vp.STAGE.call(out.parent, params, image=list(paths))
    info = probe(out)
    assert not info.has_audio and info.frames == 20
    frames = np.concatenate(list(iter_frames(out))).astype(np.float32)
    mid = frames[8].reshape(-1, 3).mean(0)  # t = 0.8: half way through the dissolve
    assert np.abs(mid - (a[0, 0] + b[0, 0]) / 2).max() < 6
    assert np.abs(frames[2].reshape(-1, 3).mean(0) - a[0, 0]).max() < 6


def test_other_sizes_are_cover_fitted_and_long_crossfades_clamped(tmp_path: Path) -> None:
    path = write_rgb(tmp_path / "big.png", np.zeros((300, 400, 3), np.uint8))
    params = vp.Params(width=W, height=H, fps=5, seconds_per_image=1.0, crossfade=0.8)
    result = vp.STAGE.call(tmp_path / "p", params, image=[path, path])
    assert any("using 0.5 s" in w for w in result.warnings)
    assert probe(tmp_path / "p" / "video_portrait.mp4").width == W


def test_bad_inputs(tmp_path: Path) -> None:
    path = write_rgb(tmp_path / "a.png", flat((1, 2, 3)))
    with pytest.raises(InputError, match="at least one delivered image"):
        vp.STAGE.call(tmp_path / "p", image=[])
    silent = tmp_path / "silent" / "video_portrait.mp4"
    vp.STAGE.call(
        silent.parent,
        vp.Params(width=W, height=H, fps=5, seconds_per_image=1.0),
        image=[path],
    )
    with pytest.raises(InputError, match="has no audio track"):
        vp.STAGE.call(
            tmp_path / "q",
            vp.Params(width=W, height=H, fps=5),
            image=[path],
            music=silent,
        )
