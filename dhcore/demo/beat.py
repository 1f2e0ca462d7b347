"""A drum beat made by code: the demo's soundtrack, so the demo needs no audio file.

Kick (a falling sine), snare (noise plus a tone) and closed hi-hat (high-passed noise) on a
16-step pattern, 16-bit PCM WAV. Deterministic: noise comes from a fixed-seed generator, so
the same arguments always give the same bytes (and the same cache key downstream). One bar is
rendered and written repeatedly, so minutes of audio take one bar of memory.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 44100
STEPS_PER_BAR = 16  # sixteenth notes in a 4/4 bar
#: step -> instrument, one bar; kicks on 1 and 3 (and the "and" of 3), snare on 2 and 4, hats on 8ths
PATTERN: dict[str, tuple[int, ...]] = {
    "kick": (0, 8, 10),
    "snare": (4, 12),
    "hat": (0, 2, 4, 6, 8, 10, 12, 14),
}
_GAIN = {"kick": 0.9, "snare": 0.55, "hat": 0.22}
_PAN = {"kick": 0.5, "snare": 0.5, "hat": 0.65}  # 0 = left, 1 = right
PEAK = 0.89  # about -1 dBFS


def step_seconds(bpm: float) -> float:
    return 60.0 / bpm / 4


def _fade_out(sound: np.ndarray, rate: int, seconds: float = 0.005) -> np.ndarray:
    """A short linear fade at the end, so a cut-off tail does not click."""
    n = min(len(sound), int(seconds * rate))
    sound[len(sound) - n :] *= np.linspace(1.0, 0.0, n)
    return sound


def _kick(rate: int) -> np.ndarray:
    t = np.arange(int(0.35 * rate)) / rate
    freq = 45 + 105 * np.exp(-t / 0.04)  # 150 Hz falling to 45 Hz
    phase = 2 * np.pi * np.cumsum(freq) / rate
    return np.sin(phase) * np.exp(-t / 0.12)


def _snare(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.2 * rate)) / rate
    noise = rng.random(len(t)) * 2 - 1
    tone = np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.05)
    return 0.7 * noise * np.exp(-t / 0.06) + 0.5 * tone


def _hat(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.06 * rate)) / rate
    noise = rng.random(len(t) + 1) * 2 - 1
    return np.diff(noise) * 0.5 * np.exp(-t / 0.015)  # first difference: a crude high-pass


def render_bar(bpm: float = 120.0, rate: int = RATE, seed: int = 0) -> np.ndarray:
    """One bar as float stereo [n, 2] in [-PEAK, PEAK]; tails past the bar end wrap to its start."""
    rng = np.random.default_rng(seed)
    sounds = {"kick": _kick(rate), "snare": _snare(rate, rng), "hat": _hat(rate, rng)}
    sounds = {name: _fade_out(sound, rate) for name, sound in sounds.items()}
    step = step_seconds(bpm)
    length = round(STEPS_PER_BAR * step * rate)
    bar = np.zeros((length, 2))
    for name, steps in PATTERN.items():
        sound = sounds[name] * _GAIN[name]
        pan = np.array([1 - _PAN[name], _PAN[name]]) * 2**0.5
        for s in steps:
            at = (round(s * step * rate) + np.arange(len(sound))) % length
            np.add.at(bar, at, sound[:, None] * pan)
    return bar * (PEAK / np.abs(bar).max())


def beat_onsets(seconds: float, bpm: float = 120.0, instrument: str = "kick") -> list[float]:
    """Times (s) at which `instrument` starts within the first `seconds`."""
    step = step_seconds(bpm)
    bar = STEPS_PER_BAR * step
    times = []
    for n in range(int(seconds / bar) + 1):
        times += [n * bar + s * step for s in PATTERN[instrument] if n * bar + s * step < seconds]
    return times


def write_beat(
    path: str | Path, seconds: float = 8.0, bpm: float = 120.0, rate: int = RATE, seed: int = 0
) -> Path:
    """Write `seconds` of the beat as a 16-bit stereo WAV; returns the path."""
    if seconds <= 0 or bpm <= 0:
        raise ValueError(f"seconds and bpm must be positive, got {seconds}, {bpm}")
    bar = np.round(render_bar(bpm, rate, seed) * 32767).astype("<i2")
    remaining = round(seconds * rate)
    path = Path(path)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        while remaining > 0:
            part = bar[: min(remaining, len(bar))]
            out.writeframes(part.tobytes())
            remaining -= len(part)
    return path
