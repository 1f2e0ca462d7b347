"""talking_head.mesh_video: a short video of the person made to speak the audio (dubbing).

The video gives the head motion, blinks and light; the mouth of each frame is closed (its own speech
or smile removed) and then opened by the audio timeline, as for a photo. The video plays forward and
starts again from its first frame while the audio lasts; its face mesh is One-Euro smoothed. Two passes
over the video (mesh, then render) per loop, never holding its frames. Also writes its first frame
(`still`) for the identity figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from dhcore.errors import InputError
from dhcore.facemesh.expressions import Expression, apply, closing_jaw
from dhcore.facemesh.landmarks import track
from dhcore.facemesh.one_euro import one_euro
from dhcore.facemesh.warp import MeshWarp
from dhcore.media.frames import FrameWriter, iter_frames, probe
from dhcore.stage import InputValue, Output, StageContext, StageDef, StageResult, port
from dhcore.talk import motion
from dhcore.talk.audio import RATE, read_audio, silence_problem, timeline
from dhcore.talk.params import Motion

NAME = "talking_head.mesh_video"
VERSION = "1"


class Params(Motion):
    """Mouth gain and coarticulation as for a photo; blinks and head motion come from the video."""


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("video", "video"), port("audio", "audio")),
    outputs=(port("frames", "frames"), port("still", "image")),
    impl="dhcore.talk.video:run",
)


def _frames(path: Path) -> Iterator[np.ndarray]:
    return (f for chunk in iter_frames(path) for f in chunk)


def _looped(path: Path, total: int) -> Iterator[tuple[int, np.ndarray]]:
    """(index in the video, frame) for `total` frames, starting again at the end."""
    done = 0
    while done < total:
        for j, frame in enumerate(_frames(path)):
            if done == total:
                return
            yield j, frame
            done += 1


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Render the video's person speaking the audio."""
    video_path, audio_path = Path(inputs["video"]), Path(inputs["audio"])
    info = probe(video_path)
    fps = float(info.fps or 25)
    meshes = list(track(_frames(video_path), str(video_path)))
    seen = [m for m in meshes if m is not None]
    if len(seen) < len(meshes):
        missing = len(meshes) - len(seen)
        raise InputError(
            f"{video_path}: no face in {missing} of {len(meshes)} frames; every frame must show it"
        )
    smooth = one_euro(np.stack(seen), fps).astype(np.float32)
    samples = read_audio(audio_path)
    if problem := silence_problem(samples):
        raise InputError(f"{audio_path}: {problem}")
    total = max(1, math.ceil(len(samples) / RATE * fps))
    tl = timeline(samples, RATE, fps, total)
    jaw, width = motion.mouth_track(tl, params.mouth_gain, 0.0, params.coarticulation)
    out_path = out_dir / "frames.nut"
    with FrameWriter(out_path, info.fps, info.width, info.height) as writer:
        for i, (j, frame) in enumerate(_looped(video_path, total)):
            points = smooth[j]
            expr = Expression(jaw_open=closing_jaw(points) + float(jaw[i]), mouth_width=float(width[i]))
            writer.write(MeshWarp(frame, points).warp(apply(points, expr)))
            if i == 0:
                cv2.imwrite(str(out_dir / "still.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            ctx.progress(i + 1, total)
    return StageResult(
        outputs={
            "frames": Output(path=out_path, kind="frames", meta={"frames": total}),
            "still": Output(path=out_dir / "still.png", kind="image"),
        },
        metrics={"voiced_share": float(tl.voiced.mean()), "video_loops": total / len(meshes)},
        frames=total,
    )
