"""The face kinds' demo inputs: real portraits from installed packages (never committed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dhcore.demo.assets import astronaut, grace_hopper, png_writer, write_once


def portrait() -> np.ndarray:
    """Grace Hopper (matplotlib's sample photo), head and shoulders, cropped to 512x512: a closed mouth."""
    return np.ascontiguousarray(grace_hopper()[40:552])


def write_face_assets(folder: Path) -> dict[str, Path]:
    """portrait.png (Grace Hopper, 512x512), astronaut.png (scikit-image's astronaut), speech.wav, driver.mp4."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "portrait": write_once(folder / "portrait.png", png_writer(portrait())),
        "astronaut": write_once(folder / "astronaut.png", png_writer(astronaut())),
        "speech": write_once(folder / "speech.wav", write_speech),
        "driver": write_once(folder / "driver.mp4", driver_video),
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


DRIVER_SECONDS, DRIVER_FPS = 4.0, 25


def _bump(t: float, centre: float, width: float) -> float:
    return float(np.exp(-(((t - centre) / width) ** 2)))


def driver_video(out: Path) -> Path:
    """A driving face video from a real photo: Grace Hopper's portrait animated on the face mesh
    (a smile, raised brows, an open mouth, a blink, a head turn and tilt), as an mp4."""
    import shutil
    from fractions import Fraction

    from dhcore.facemesh.expressions import Expression, HeadPose, apply, head_move
    from dhcore.facemesh.landmarks import one_face
    from dhcore.facemesh.warp import MeshWarp
    from dhcore.media import assemble
    from dhcore.media.frames import FrameWriter
    from dhcore.stage import StageContext

    photo = portrait()
    points = one_face(photo, "grace_hopper.jpg")
    warp = MeshWarp(photo, points)
    frames = int(DRIVER_SECONDS * DRIVER_FPS)
    t = np.arange(frames) / frames
    nut, work = out.with_suffix(".frames.nut"), out.with_suffix(".work")
    with FrameWriter(nut, Fraction(DRIVER_FPS), photo.shape[1], photo.shape[0]) as writer:
        for i in range(frames):
            ti = float(t[i])
            expr = Expression(
                smile=0.8 * _bump(ti, 0.2, 0.1), brow=0.9 * _bump(ti, 0.45, 0.08),
                jaw_open=0.6 * _bump(ti, 0.65, 0.07), eyes_closed=_bump(ti, 0.85, 0.03),
            )  # fmt: skip
            pose = HeadPose(
                yaw=5 * np.sin(2 * np.pi * ti), roll=4 * np.sin(np.pi * ti), pitch=2 * _bump(ti, 0.5, 0.2)
            )
            writer.write(warp.warp(head_move(apply(points, expr), pose)))
    work.mkdir(exist_ok=True)
    try:
        result = assemble.run(
            {"frames": nut, "audio": None}, assemble.Params(audio="none"), work, StageContext()
        )
        result.outputs["video"].path.replace(out)
    finally:
        nut.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return out
