import wave
from pathlib import Path

import numpy as np
import pytest

from dhcore.demo.face_assets import vowel_track
from dhcore.errors import InputError
from dhcore.talk.audio import RATE, Timeline, read_audio, silence_problem, timeline
from dhcore.talk.figures import lipsync, silent_frames, viseme_agreement
from dhcore.talk.motion import blinks, gaussian_smooth, mouth_track


def test_vowel_track_timeline_marks_speech_and_pauses(tmp_path: Path) -> None:
    samples = read_audio(vowel_track(tmp_path / "v.wav"))
    frames = int(len(samples) / RATE * 25)
    tl = timeline(samples, RATE, 25, frames)
    assert not tl.voiced[:10].any()  # 0.5 s of silence first
    assert 0.4 < tl.voiced.mean() < 0.75  # six 0.45 s vowels in 5.3 s
    assert tl.envelope[~tl.voiced].max() == 0 and tl.envelope.max() == 1.0
    a_frames = tl.voiced[: int(1.45 * 25)] & (np.arange(int(1.45 * 25)) > 14)  # the first vowel: 'a'
    i_frames = np.zeros(frames, bool)
    i_frames[int(1.35 * 25) : int(1.7 * 25)] = True  # the second: 'i'
    i_frames &= tl.voiced
    assert tl.open_share[: int(1.45 * 25)][a_frames].mean() > tl.open_share[i_frames].mean()
    assert tl.spread_share[i_frames].mean() > tl.spread_share[: int(1.45 * 25)][a_frames].mean()


def test_silent_and_corrupt_audio_are_named(tmp_path: Path) -> None:
    quiet = tmp_path / "quiet.wav"
    with wave.open(str(quiet), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(np.zeros(16000, np.int16).tobytes())
    assert "silent" in silence_problem(read_audio(quiet))
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    with pytest.raises(InputError, match="broken.wav: not a readable audio file"):
        read_audio(broken)


def test_lipsync_finds_a_known_lag_and_the_mouth_rests_in_silence() -> None:
    rng = np.random.default_rng(1)
    envelope = gaussian_smooth(rng.uniform(0, 1, 200) * (rng.uniform(0, 1, 200) > 0.4), 1.5)
    assert lipsync(np.roll(envelope, 2), envelope) == pytest.approx((1.0, 2), abs=0.05)
    voiced = np.zeros(20, bool)
    voiced[8:10] = True
    assert silent_frames(voiced).tolist() == [True] * 6 + [False] * 6 + [True] * 8


def test_mouth_follows_loudness_and_blinks_are_spaced(tmp_path: Path) -> None:
    samples = read_audio(vowel_track(tmp_path / "v.wav"))
    tl = timeline(samples, RATE, 25, int(len(samples) / RATE * 25))
    jaw, width = mouth_track(tl, 0.7, 0.0, 1.0)
    assert np.corrcoef(jaw, tl.envelope)[0, 1] > 0.8 and jaw[:8].max() < 0.01
    closed = blinks(25 * 60, 25, 15, np.random.default_rng(0))
    starts = np.flatnonzero((closed[1:] > 0.5) & (closed[:-1] <= 0.5))
    assert 8 <= len(starts) <= 25 and np.diff(starts).min() > 10


def test_viseme_agreement_rewards_lips_that_take_the_vowels_shape() -> None:
    rng = np.random.default_rng(3)
    n = 60
    spread, opened = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    tl = Timeline(np.ones(n), np.ones(n, bool), opened, spread)
    asked = spread - (1 - spread) * (1 - opened)
    assert viseme_agreement(2.0 + 0.1 * asked, tl) == pytest.approx(1.0)
    assert abs(viseme_agreement(2.0 + 0.1 * rng.uniform(0, 1, n), tl)) < 0.4
    assert viseme_agreement(np.full(n, 2.0), tl) is None  # a mouth that never changes width says nothing
