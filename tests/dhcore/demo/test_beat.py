"""The synthesized demo beat: exact length, deterministic bytes, hits where the pattern says."""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import numpy as np
import pytest

from dhcore.demo.beat import PEAK, beat_onsets, write_beat
from dhcore.media.audio import probe_audio


def _read(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth()) == (2, 2)
        data = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2)
        return data.astype(np.float64) / 32767, w.getframerate()


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)))


def test_length_format_and_level(tmp_path: Path) -> None:
    path = write_beat(tmp_path / "beat.wav", seconds=8.0)
    samples, rate = _read(path)
    assert rate == 44100 and len(samples) == 8 * 44100
    assert PEAK - 0.01 < np.abs(samples).max() <= PEAK + 1e-4  # about -1 dBFS, never clipping
    info = probe_audio(path)
    assert info is not None and info.duration == pytest.approx(8.0) and info.channels == 2


def test_deterministic(tmp_path: Path) -> None:
    a = write_beat(tmp_path / "a.wav", seconds=3.3)
    b = write_beat(tmp_path / "b.wav", seconds=3.3)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    c = write_beat(tmp_path / "c.wav", seconds=3.3, seed=1)
    assert a.read_bytes() != c.read_bytes()


@pytest.mark.parametrize("bpm", [120.0, 90.0])
def test_kicks_and_snares_start_where_the_pattern_puts_them(tmp_path: Path, bpm: float) -> None:
    samples, rate = _read(write_beat(tmp_path / "beat.wav", seconds=10.0, bpm=bpm))
    mono = samples.mean(axis=1)
    window = int(0.03 * rate)
    bar = 16 * 60 / bpm / 4
    onsets = [
        t
        for t in beat_onsets(10.0, bpm, "kick") + beat_onsets(10.0, bpm, "snare")
        if t > 0 and (t / bar * 16) % 4 == 0
    ]
    assert len(onsets) >= 8
    for t in onsets:
        at = round(t * rate)
        after, before = _rms(mono[at : at + window]), _rms(mono[max(0, at - window) : at])
        assert after > 0.1 and after > 2 * before, f"no hit at {t:.3f} s ({after:.3f} vs {before:.3f})"
    step = bar / 16
    for t in [k * bar + s * step for k in range(4) for s in (1, 3, 5, 7)]:  # odd steps: no hit starts
        at = round(t * rate)
        after, before = _rms(mono[at : at + window]), _rms(mono[at - window : at])
        assert after <= 1.2 * before + 1e-6, f"a hit at {t:.3f} s where the pattern has none"


def test_onsets_follow_the_tempo() -> None:
    assert beat_onsets(2.0, 120.0, "kick") == [0.0, 1.0, 1.25]
    assert beat_onsets(2.0, 120.0, "snare") == [0.5, 1.5]
    assert beat_onsets(4.0, 60.0, "snare") == [1.0, 3.0]


def test_minutes_of_audio_and_bad_arguments(tmp_path: Path) -> None:
    samples, _ = _read(write_beat(tmp_path / "long.wav", seconds=125.5))
    assert len(samples) == round(125.5 * 44100)
    with pytest.raises(ValueError):
        write_beat(tmp_path / "x.wav", seconds=0)
