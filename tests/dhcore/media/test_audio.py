"""Probing audio with PyAV and choosing the soundtrack for each audio mode."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from dhcore.errors import InputError
from dhcore.media.audio import choose_audio, output_rate, probe_audio
from dhcore.media.ffmpeg import AudioInput


def test_probe_wav(media) -> None:
    info = probe_audio(media.tone(1.5, rate=22050, channels=1))
    assert info is not None
    assert (info.rate, info.channels, info.codec) == (22050, 1, "pcm_s16le")
    assert info.duration == pytest.approx(1.5)


def test_probe_video_with_and_without_sound(media) -> None:
    with_sound = probe_audio(media.clip(12, Fraction(24), 0.5, "s.mp4"))
    assert with_sound is not None and with_sound.codec == "aac"
    assert with_sound.duration == pytest.approx(0.5, abs=0.03)
    assert probe_audio(media.clip(12, Fraction(24), None, "q.mp4")) is None


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "song.mp3"
    bad.write_bytes(b"\x00not audio" * 50)
    with pytest.raises(InputError, match="song.mp3"):
        probe_audio(bad)
    with pytest.raises(InputError, match="nothing.wav"):
        probe_audio(tmp_path / "nothing.wav")


def test_output_rate_keeps_aac_rates() -> None:
    assert output_rate(44100) == 44100
    assert output_rate(22050) == 22050
    assert output_rate(44000) == 48000


def test_choose_audio_modes(media) -> None:
    tone = media.tone(1.0, rate=44100)
    silent_clip = media.clip(12, Fraction(24), None, "q.mp4")
    sound_clip = media.clip(12, Fraction(24), 0.5, "s.mp4")

    assert choose_audio("none", tone) == (None, [])
    assert choose_audio("file", tone) == (AudioInput(tone, rate=44100), [])
    assert choose_audio("driving", sound_clip) == (AudioInput(sound_clip, rate=44100), [])
    assert choose_audio("auto", sound_clip) == (AudioInput(sound_clip, rate=44100), [])
    assert choose_audio("auto", silent_clip) == (None, [])
    assert choose_audio("auto", None) == (None, [])

    track, warnings = choose_audio("driving", silent_clip)
    assert track == AudioInput(None)
    assert len(warnings) == 1 and "q.mp4" in warnings[0] and "silent" in warnings[0]

    with pytest.raises(InputError, match="q.mp4: has no audio track"):
        choose_audio("file", silent_clip)
    with pytest.raises(InputError, match="needs an audio source"):
        choose_audio("file", None)
