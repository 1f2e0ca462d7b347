"""The talking_head spec kind: audio or text speech loads and plans; no face, silent or corrupt audio,
both or neither speech source, text without espeak-ng are located errors."""

from __future__ import annotations

import wave
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from dhcore.demo.assets import png_writer
from dhcore.demo.face_assets import vowel_track
from dhcore.media.frames import FrameWriter
from dhcore.plan import plan
from dhcore.spec.loader import SpecError, load_spec
from tests import realdata

SPEC = """\
version: 1
kind: talking_head
portrait: {portrait}
speech:
  {speech}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("talking_head")
    png_writer(realdata.rgb("grace_hopper"))(root / "grace.png")
    png_writer(np.full((200, 200, 3), 180, np.uint8))(root / "blank.png")
    vowel_track(root / "vowels.wav")
    with wave.open(str(root / "quiet.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(np.zeros(16000, np.int16).tobytes())
    (root / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    grace = np.ascontiguousarray(realdata.rgb("grace_hopper")[:512])
    with FrameWriter(root / "face.nut", Fraction(25), 512, 512) as writer:
        writer.write(np.stack([grace, np.roll(grace, 3, axis=1)]))
    return root


def write(folder: Path, name: str, portrait: str = "grace.png", speech: str = "audio: vowels.wav") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(SPEC.format(portrait=portrait, speech=speech))
    return path


def test_audio_spec_loads_and_plans(folder: Path) -> None:
    loaded = load_spec(write(folder, "ok"))
    p = plan(loaded)
    assert [c.stage for c in p.calls] == ["talking_head.mesh", "assemble", "talking_head.figures"]
    assert {i.role for i in p.inputs} == {"portrait", "speech"} and set(p.outputs) == {"video"}


def test_a_video_of_the_person_is_dubbed(folder: Path) -> None:
    path = folder / "video.yaml"
    path.write_text("version: 1\nkind: talking_head\nvideo: face.nut\nspeech:\n  audio: vowels.wav\n")
    p = plan(load_spec(path))
    assert [c.stage for c in p.calls] == ["talking_head.mesh_video", "assemble", "talking_head.figures"]
    assert p.call("figures").inputs["portrait"].role == "still"
    path.write_text(path.read_text() + "portrait: grace.png\n")
    with pytest.raises(SpecError, match="give exactly one of portrait and video"):
        load_spec(path)


def test_text_spec_plans_speech_first(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dhcore.talk.tts.espeak", lambda: "/usr/bin/espeak-ng")
    p = plan(load_spec(write(folder, "text", speech="text: Hello there.")))
    assert [c.stage for c in p.calls][0] == "speech.espeak" and {i.role for i in p.inputs} == {"portrait"}


def test_text_without_espeak_is_located(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dhcore.talk.tts.espeak", lambda: None)
    path = write(folder, "no_tts", speech="text: Hello there.")
    with pytest.raises(SpecError, match=r":5:9: speech.text: text to speech needs espeak-ng"):
        load_spec(path)


def test_silent_corrupt_and_faceless_inputs_are_located(folder: Path) -> None:
    path = write(folder, "quiet", speech="audio: quiet.wav")
    with pytest.raises(SpecError, match=r":5:10: speech.audio: .*quiet.wav: the audio is silent"):
        load_spec(path)
    with pytest.raises(SpecError, match=r":5:10: speech.audio: .*broken.wav: not a readable audio"):
        load_spec(write(folder, "broken", speech="audio: broken.wav"))
    with pytest.raises(SpecError, match=r":3:11: portrait: .*blank.png: no face found"):
        load_spec(write(folder, "blank", portrait="blank.png"))


def test_both_or_neither_speech_source_is_an_error(folder: Path) -> None:
    with pytest.raises(SpecError, match="give exactly one of speech.audio and speech.text"):
        load_spec(write(folder, "both", speech="audio: vowels.wav\n  text: hi"))
