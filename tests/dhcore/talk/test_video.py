from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from dhcore.demo.face_assets import vowel_track
from dhcore.errors import InputError
from dhcore.facemesh.landmarks import FaceMesh, mouth_opening
from dhcore.media.frames import FrameWriter, iter_frames
from dhcore.talk import video
from dhcore.talk.audio import RATE, read_audio, timeline
from tests import realdata


def test_a_short_video_loops_and_its_mouth_follows_the_audio(tmp_path: Path) -> None:
    grace = np.ascontiguousarray(realdata.rgb("grace_hopper")[:512])
    clip = tmp_path / "clip.nut"
    with FrameWriter(clip, Fraction(25), 512, 512) as writer:
        for i in range(20):
            writer.write(np.roll(grace, i, axis=1))
    speech = vowel_track(tmp_path / "v.wav")
    result = video.STAGE.call(tmp_path / "out", video.Params(), video=clip, audio=speech)
    samples = read_audio(speech)
    assert result.frames == int(np.ceil(len(samples) / RATE * 25)) and result.metrics["video_loops"] > 5
    tl = timeline(samples, RATE, 25, result.frames)
    with FaceMesh(video=True, max_faces=1) as mesh:
        opening = [
            mouth_opening(mesh.all(f)[0]) for c in iter_frames(result.outputs["frames"].path) for f in c
        ]
    assert np.corrcoef(opening, tl.envelope)[0, 1] > 0.7


def test_a_video_with_faceless_frames_is_refused(tmp_path: Path) -> None:
    clip = tmp_path / "blank.nut"
    with FrameWriter(clip, Fraction(25), 128, 128) as writer:
        writer.write(np.full((3, 128, 128, 3), 100, np.uint8))
    with pytest.raises(InputError, match="blank.nut: no face in 3 of 3 frames"):
        video.STAGE.call(tmp_path / "out", video.Params(), video=clip, audio=vowel_track(tmp_path / "v.wav"))
