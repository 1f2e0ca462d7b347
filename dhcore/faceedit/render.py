"""face_edit.mesh: the portrait with its edits, by moving the face mesh and warping the photo.

Writes the edited still (`image`, the spec's `edits`) and, when keyframes are given, the frames of
a video easing from one keyframe's edits to the next (`frames`).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from pydantic import Field

from dhcore.facemesh.edits import Edits, Keyframe, at_time
from dhcore.facemesh.expressions import apply
from dhcore.facemesh.landmarks import one_face
from dhcore.facemesh.lips import tint_lips
from dhcore.facemesh.warp import MeshWarp
from dhcore.media.frames import FrameWriter
from dhcore.pose.extract import read_image
from dhcore.stage import InputValue, Output, StageContext, StageDef, StageParams, StageResult, port

NAME = "face_edit.mesh"
VERSION = "1"


class Params(StageParams):
    edits: Edits = Edits()
    keyframes: list[Keyframe] | None = None
    fps: int = Field(25, ge=1, le=60)


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("photo", "image"),),
    outputs=(port("image", "image"), port("frames", "frames", optional=True)),
    impl="dhcore.faceedit.render:run",
)


def edited(warp: MeshWarp, points: np.ndarray, edits: Edits) -> np.ndarray:
    moved = apply(points, edits.expression())
    out = warp.warp(moved)
    if edits.lip_colour:
        tint_lips(out, moved, edits.lip_colour, edits.lip_colour_strength)
    return out


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Edit the photo's one face; a keyframed video too."""
    path = Path(inputs["photo"])
    photo = read_image(path)
    points = one_face(photo, str(path))
    warp = MeshWarp(photo, points)
    image_path = out_dir / "edited.png"
    cv2.imwrite(str(image_path), cv2.cvtColor(edited(warp, points, params.edits), cv2.COLOR_RGB2BGR))
    outputs = {"image": Output(path=image_path, kind="image")}
    frames = 0
    if params.keyframes:
        keys = sorted(params.keyframes, key=lambda k: k.at)
        total = max(1, math.ceil(keys[-1].at * params.fps) + 1)
        frames_path = out_dir / "frames.nut"
        h, w = photo.shape[:2]
        with FrameWriter(frames_path, Fraction(params.fps), w, h) as writer:
            for i in range(total):
                writer.write(edited(warp, points, at_time(keys, i / params.fps)))
                ctx.progress(i + 1, total)
        frames = total
        outputs["frames"] = Output(path=frames_path, kind="frames", meta={"frames": total, "fps": params.fps})
    return StageResult(outputs=outputs, frames=frames or 1)
