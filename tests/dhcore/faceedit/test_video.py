from fractions import Fraction
from pathlib import Path

import numpy as np

from dhcore.faceedit import video
from dhcore.facemesh.edits import Edits
from dhcore.facemesh.landmarks import FaceMesh, mouth_opening
from dhcore.media.frames import FrameWriter, iter_frames
from tests import realdata


def test_every_frame_with_a_face_is_edited_and_the_rest_pass_through(tmp_path: Path) -> None:
    grace = np.ascontiguousarray(realdata.rgb("grace_hopper")[:512])
    blank = np.full_like(grace, 90)
    clip = tmp_path / "clip.nut"
    with FrameWriter(clip, Fraction(25), 512, 512) as writer:
        for i in range(8):
            writer.write(blank if i == 7 else np.roll(grace, 2 * i, axis=1))
    result = video.STAGE.call(tmp_path / "out", video.Params(edits=Edits(jaw_open=0.6)), video=clip)
    assert result.metrics["frames_without_face"] == 1 and result.frames == 8
    frames = [f for chunk in iter_frames(result.outputs["frames"].path) for f in chunk]
    assert len(frames) == 8 and np.array_equal(frames[7], blank)
    with FaceMesh(video=False, max_faces=1) as mesh:
        openings = [mouth_opening(mesh.all(f)[0]) for f in frames[:7]]
    assert min(openings) > 0.2  # Grace's closed mouth opened in every frame
    assert {"image", "original"} <= set(result.outputs)
