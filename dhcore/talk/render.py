"""talking_head.mesh: the portrait speaking its audio: mouth shapes from the audio timeline,
blinks and head motion, rendered frame by frame with the face-mesh warp (frames streamed to disk)."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
from pydantic import Field

from dhcore.errors import InputError
from dhcore.facemesh.expressions import apply, closing_jaw, head_move
from dhcore.facemesh.landmarks import one_face
from dhcore.facemesh.warp import MeshWarp
from dhcore.media.frames import FrameWriter
from dhcore.pose.extract import read_image
from dhcore.stage import InputValue, Output, StageContext, StageDef, StageResult, port
from dhcore.talk import motion
from dhcore.talk.audio import RATE, read_audio, silence_problem, timeline
from dhcore.talk.params import Motion

NAME = "talking_head.mesh"
VERSION = "1"


class Params(Motion):
    fps: int = Field(25, ge=10, le=60)


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("portrait", "image"), port("audio", "audio")),
    outputs=(port("frames", "frames"),),
    impl="dhcore.talk.render:run",
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Render the portrait speaking the audio, one frame per 1/fps of it."""
    portrait_path, audio_path = Path(inputs["portrait"]), Path(inputs["audio"])
    photo = read_image(portrait_path)
    points = one_face(photo, str(portrait_path))
    samples = read_audio(audio_path)
    if problem := silence_problem(samples):
        raise InputError(f"{audio_path}: {problem}")
    frames = max(1, math.ceil(len(samples) / RATE * params.fps))
    tl = timeline(samples, RATE, params.fps, frames)
    rng = np.random.default_rng(params.seed)
    jaw, width = motion.mouth_track(tl, params.mouth_gain, closing_jaw(points), params.coarticulation)
    blink = motion.blinks(frames, params.fps, params.blinks_per_minute, rng)
    poses = motion.head_track(frames, params.fps, params.head_motion, tl.envelope, rng)
    warp = MeshWarp(photo, points)
    h, w = photo.shape[:2]
    out_path = out_dir / "frames.nut"
    with FrameWriter(out_path, Fraction(params.fps), w, h) as writer:
        for i, (expr, pose) in enumerate(zip(motion.expressions(jaw, width, blink), poses, strict=True)):
            writer.write(warp.warp(head_move(apply(points, expr), pose)))
            ctx.progress(i + 1, frames)
    voiced = float(tl.voiced.mean())
    return StageResult(
        outputs={"frames": Output(path=out_path, kind="frames", meta={"frames": frames, "fps": params.fps})},
        metrics={"voiced_share": voiced},
        frames=frames,
    )
