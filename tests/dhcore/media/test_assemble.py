"""Stage `assemble`: real ffmpeg, results probed and decoded with PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from pydantic import ValidationError

from dhcore.errors import DhError, InputError
from dhcore.media import assemble as stage
from dhcore.media.assemble import Params
from dhcore.media.encode import check_length, encode_mp4
from dhcore.media.ffmpeg import AudioInput, EncodeOptions
from dhcore.media.frames import iter_frames, probe

AAC_FRAME = 1024  # samples per AAC frame


def _stream_facts(path: Path) -> dict[str, object]:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        a = c.streams.audio[0] if c.streams.audio else None
        return {
            "codec": v.codec_context.name,
            "pix_fmt": v.codec_context.pix_fmt,
            "size": (v.codec_context.width, v.codec_context.height),
            "fps": Fraction(v.average_rate),
            "frames": sum(1 for p in c.demux(v) if p.size),
            "video_seconds": float(v.duration * v.time_base),
            "audio_codec": a.codec_context.name if a else None,
            "audio_seconds": float(a.duration * a.time_base) if a else None,
            "audio_rate": a.rate if a else None,
        }


def test_ntsc_odd_size_with_short_audio_padded_with_silence(media, tmp_path: Path) -> None:
    fps = Fraction(30000, 1001)
    frames = media.frames(60, width=67, height=45, fps=fps)  # 2.002 s
    tone = media.tone(1.0, rate=44100)
    seen: list[tuple[int, int | None]] = []
    result = stage.STAGE.call(
        tmp_path / "out",
        Params(audio="file"),
        progress=lambda d, t: seen.append((d, t)),
        frames=frames,
        audio=tone,
    )
    out = result.outputs["video"]
    assert out.kind == "video" and out.path == tmp_path / "out" / "video.mp4"
    facts = _stream_facts(out.path)
    assert facts["codec"] == "h264" and facts["pix_fmt"] == "yuv420p"
    assert facts["size"] == (68, 46)
    assert facts["fps"] == fps
    assert facts["frames"] == 60
    assert facts["video_seconds"] == pytest.approx(60 / fps)
    assert facts["audio_codec"] == "aac" and facts["audio_rate"] == 44100
    assert abs(facts["audio_seconds"] - facts["video_seconds"]) <= AAC_FRAME / 44100
    # the tone fills the first second, silence pads the rest
    samples, rate = media.decoded_audio(out.path)
    assert np.abs(samples[:, int(0.1 * rate) : int(0.9 * rate)]).max() > 0.3
    assert np.abs(samples[:, int(1.1 * rate) : int(1.95 * rate)]).max() < 0.01
    # the padding column and row repeat the edge (no black line)
    first = next(iter_frames(out.path))[0].astype(int)
    source = next(iter_frames(frames))[0].astype(int)
    assert (
        np.abs(first[:45, 67] - source[:, 66]).mean() < 8 and np.abs(first[45, :67] - source[44]).mean() < 8
    )
    assert out.meta["frames"] == 60 and out.meta["has_audio"] is True and out.meta["fps"] == "30000/1001"
    assert out.meta["width"] == 68 and out.meta["codec"] == "h264" and out.meta["audio_codec"] == "aac"
    assert result.frames == 60 and result.warnings == []
    assert seen[-1] == (60, 60) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_long_audio_is_trimmed_and_frames_survive_encoding(media, tmp_path: Path) -> None:
    frames = media.frames(48, width=64, height=48, fps=Fraction(24))
    result = stage.STAGE.call(
        tmp_path / "out",
        Params(audio="file"),
        frames=frames,
        audio=media.tone(5.0, rate=48000),
    )
    facts = _stream_facts(result.outputs["video"].path)
    assert facts["frames"] == 48
    assert abs(facts["audio_seconds"] - 2.0) <= AAC_FRAME / 48000
    # colours come back close to the input (crf 18, BT.709 written and read back)
    decoded = np.concatenate(list(iter_frames(result.outputs["video"].path)))
    source = np.concatenate(list(iter_frames(frames)))
    assert decoded.shape == source.shape
    assert np.abs(decoded.astype(int) - source.astype(int)).mean() < 3.0


def test_frame_rate_conversion_keeps_audio_in_step(media, tmp_path: Path) -> None:
    clip = media.clip(30, Fraction(30), 3.0)  # driving video with a longer soundtrack
    frames = media.frames(30, fps=Fraction(30))
    result = stage.STAGE.call(tmp_path / "out", Params(audio="driving", fps=24), frames=frames, audio=clip)
    facts = _stream_facts(result.outputs["video"].path)
    assert facts["fps"] == 24 and facts["frames"] == 24
    assert abs(facts["audio_seconds"] - 1.0) <= AAC_FRAME / 44100


def test_driving_video_without_sound_gets_a_silent_track_and_a_warning(media, tmp_path: Path) -> None:
    clip = media.clip(24, Fraction(24), None)
    result = stage.STAGE.call(tmp_path / "out", Params(audio="driving"), frames=media.frames(24), audio=clip)
    assert result.outputs["video"].meta["has_audio"] is True
    assert len(result.warnings) == 1 and "no audio track" in result.warnings[0]
    samples, _ = media.decoded_audio(result.outputs["video"].path)
    assert np.abs(samples).max() == 0.0


def test_audio_none_and_auto_without_source_write_no_audio(media, tmp_path: Path) -> None:
    frames = media.frames(12)
    for mode in ("none", "auto"):
        result = stage.STAGE.call(tmp_path / f"{mode}", Params(audio=mode), frames=frames, audio=None)
        assert probe(result.outputs["video"].path).has_audio is False


def test_unreadable_audio_file_is_an_input_error_naming_it(media, tmp_path: Path) -> None:
    bad = tmp_path / "song.m4a"
    bad.write_bytes(b"not audio at all" * 20)
    with pytest.raises(InputError, match="song.m4a"):
        stage.STAGE.call(tmp_path / "out", Params(audio="file"), frames=media.frames(12), audio=bad)
    assert not (tmp_path / "out" / "video.mp4").exists()


def test_empty_or_too_short_frames_are_input_errors(media, tmp_path: Path) -> None:
    empty = tmp_path / "empty.nut"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty.nut"):
        stage.STAGE.call(tmp_path / "out", frames=empty)
    with pytest.raises(InputError, match="x.nut: has no frames"):
        check_length(Path("x.nut"), 0, Fraction(24), None)
    with pytest.raises(InputError, match="one.nut: 1 frame"):
        stage.STAGE.call(tmp_path / "out", Params(fps=5), frames=media.frames(1, name="one"))


def test_a_failed_encode_leaves_no_output(tmp_path: Path) -> None:
    def chunks():
        yield np.zeros((8, 32, 32, 3), np.uint8)
        raise RuntimeError("upstream broke")

    out = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError, match="upstream broke"):
        encode_mp4(chunks(), 32, 32, Fraction(24), 16, out, EncodeOptions(), AudioInput(None))
    with pytest.raises(DhError, match="expected 16 frames"):
        encode_mp4(
            iter([np.zeros((8, 32, 32, 3), np.uint8)]), 32, 32, Fraction(24), 16, out, EncodeOptions(), None
        )
    with pytest.raises(DhError, match="uint8 chunks"):
        encode_mp4(
            iter([np.zeros((8, 30, 32, 3), np.uint8)]), 32, 32, Fraction(24), 8, out, EncodeOptions(), None
        )
    assert list(tmp_path.iterdir()) == []


def test_h265_when_the_binary_has_libx265(media, tmp_path: Path) -> None:
    result = stage.STAGE.call(tmp_path / "out", Params(codec="h265", audio="none"), frames=media.frames(12))
    assert _stream_facts(result.outputs["video"].path)["codec"] == "hevc"


def test_params() -> None:
    assert (stage.NAME, stage.VERSION) == ("assemble", "1")
    defaults = Params()
    assert (defaults.fps, defaults.codec, defaults.crf, defaults.preset, defaults.audio) == (
        None, "h264", 18, "veryfast", "auto",
    )  # fmt: skip
    assert Params(fps=29.97).fps == Fraction(30000, 1001)
    assert Params(fps="30000/1001").model_dump(mode="json")["fps"] == "30000/1001"
    assert Params(fps=24).model_dump(mode="json")["fps"] == "24"
    for bad in (
        {"crf": 52},
        {"codec": "vp9"},
        {"preset": "instant"},
        {"audio": "music"},
        {"fps": 0},
        {"bitrate": 1},
    ):
        with pytest.raises(ValidationError):
            Params(**bad)


def test_same_inputs_give_the_same_bytes(media, tmp_path: Path) -> None:
    frames, tone = media.frames(24), media.tone(1.0)
    a = (
        stage.STAGE.call(tmp_path / "a", Params(audio="file"), frames=frames, audio=tone)
        .outputs["video"]
        .path
    )
    b = (
        stage.STAGE.call(tmp_path / "b", Params(audio="file"), frames=frames, audio=tone)
        .outputs["video"]
        .path
    )
    assert a.read_bytes() == b.read_bytes()
