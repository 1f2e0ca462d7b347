"""The face kinds' demo inputs: real portraits from installed packages (never committed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dhcore.demo.assets import astronaut, grace_hopper, png_writer, write_once


def portrait() -> np.ndarray:
    """Grace Hopper (matplotlib's sample photo), head and shoulders, cropped to 512x512: a closed mouth."""
    return np.ascontiguousarray(grace_hopper()[40:552])


def write_face_assets(folder: Path) -> dict[str, Path]:
    """portrait.png (Grace Hopper, 512x512), astronaut.png (scikit-image's astronaut), speech.wav."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "portrait": write_once(folder / "portrait.png", png_writer(portrait())),
        "astronaut": write_once(folder / "astronaut.png", png_writer(astronaut())),
        "speech": write_once(folder / "speech.wav", write_speech),
    }


#: what the demo portrait says (three sentences: the pauses show the mouth at rest)
DEMO_TEXT = (
    "Hello, I am a talking head made from one photo. "
    "My mouth follows the sound of this voice. "
    "When I stop speaking, my lips close."
)


def vowel_track(out: Path, rate: int = 16000) -> Path:
    """A synthesized 'ah ee oo' track with pauses (a glottal pulse train through formant resonators):
    the speech stand-in when espeak-ng is not installed."""
    from scipy.signal import lfilter

    formants = {"a": (800, 1200, 2500), "i": (300, 2300, 3000), "u": (320, 800, 2400)}
    pieces = [np.zeros(int(0.5 * rate))]
    for vowel in "aiuaia":
        n = int(0.45 * rate)
        pulses = np.zeros(n)
        pulses[:: rate // 120] = 1.0
        voice = pulses
        for f in formants[vowel]:
            r = np.exp(-np.pi * 90 / rate)
            voice = lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * f / rate), r * r], voice)
        voice *= np.hanning(n) ** 0.3
        pieces += [voice / np.abs(voice).max() * 0.5, np.zeros(int(0.35 * rate))]
    samples = (np.concatenate(pieces) * 32767).astype(np.int16)
    import wave

    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return out


def write_speech(out: Path) -> Path:
    """The demo speech: DEMO_TEXT by espeak-ng when installed, else the synthesized vowel track."""
    from dhcore.talk.tts import espeak, speak

    return speak(DEMO_TEXT, out) if espeak() else vowel_track(out)
