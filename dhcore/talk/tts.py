"""speech.espeak: text -> speech with espeak-ng (Debian's `espeak-ng`, when installed).

Sentences are spoken one by one with a pause between them, so a talking head also shows its mouth
at rest. The binary runs from an argv list (never a shell string)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np
from pydantic import Field

from dhcore.errors import InputError
from dhcore.stage import InputValue, Output, StageContext, StageDef, StageParams, StageResult, port

NAME = "speech.espeak"
VERSION = "1"
INSTALL_HINT = "apt-get install espeak-ng (Debian; .ci/run installs it)"


class Params(StageParams):
    text: str = Field(min_length=1, max_length=5000)
    voice: str = Field("en", pattern=r"^[a-z]{2,3}([-+][A-Za-z0-9-]+)?$")
    words_per_minute: int = Field(150, ge=80, le=300)
    pause: float = Field(0.6, ge=0, le=3, description="seconds of silence between sentences")


STAGE = StageDef(
    NAME, VERSION, Params, inputs=(), outputs=(port("audio", "audio"),), impl="dhcore.talk.tts:run"
)


def espeak() -> str | None:
    return shutil.which("espeak-ng")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?;])\s+", text.strip()) if s.strip()]


def speak(text: str, out: Path, voice: str = "en", wpm: int = 150, pause: float = 0.6) -> Path:
    """Write `text` spoken by espeak-ng to the wav `out` (pauses between sentences)."""
    binary = espeak()
    if binary is None:
        raise InputError(f"text to speech needs espeak-ng, which is not installed: {INSTALL_HINT}")
    pieces, rate = [], 22050
    with tempfile.TemporaryDirectory(prefix="dh-tts-") as tmp:
        for i, sentence in enumerate(sentences(text)):
            part = Path(tmp) / f"{i}.wav"
            argv = [binary, "-v", voice, "-s", str(wpm), "-w", str(part), "--", sentence]
            done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
            if done.returncode != 0 or not part.is_file():
                raise InputError(f"espeak-ng could not speak {sentence[:40]!r}: {done.stderr.strip()[-300:]}")
            with wave.open(str(part)) as w:
                rate = w.getframerate()
                pieces.append(np.frombuffer(w.readframes(w.getnframes()), np.int16))
    gap = np.zeros(int(pause * rate), np.int16)
    joined = np.concatenate([x for p in pieces for x in (gap, p)] + [gap])
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(joined.tobytes())
    return out


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Speak the spec's text."""
    out = speak(params.text, out_dir / "speech.wav", params.voice, params.words_per_minute, params.pause)
    with wave.open(str(out)) as w:
        seconds = w.getnframes() / w.getframerate()
    return StageResult(
        outputs={"audio": Output(path=out, kind="audio", meta={"seconds": seconds})},
        metrics={"speech_seconds": seconds},
    )
