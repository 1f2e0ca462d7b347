"""face_edit.mesh_video: the same edits on every frame of a video of one person.

Two passes over the video, never holding its frames: the face mesh per frame (One-Euro smoothed, so
the edit does not shake with the tracker), then each frame warped from its own mesh to the edited
one. Frames without a face pass through unedited. Also writes the middle frame before and after
(`original`, `image`) for the figures and for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from dhcore.errors import InputError
from dhcore.faceedit.render import edited
from dhcore.facemesh.edits import Edits
from dhcore.facemesh.landmarks import track
from dhcore.facemesh.one_euro import one_euro
from dhcore.facemesh.warp import MeshWarp
from dhcore.media.frames import FrameWriter, iter_frames, probe
from dhcore.stage import InputValue, Output, StageContext, StageDef, StageParams, StageResult, port

NAME = "face_edit.mesh_video"
VERSION = "1"


class Params(StageParams):
    edits: Edits = Edits()


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("video", "video"),),
    outputs=(port("frames", "frames"), port("image", "image"), port("original", "image")),
    impl="dhcore.faceedit.video:run",
)


def _frames(path: Path) -> Iterator[np.ndarray]:
    return (f for chunk in iter_frames(path) for f in chunk)


def _png(path: Path, rgb: np.ndarray) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Edit the face in every frame of the video."""
    path = Path(inputs["video"])
    info = probe(path)
    meshes = list(track(_frames(path), str(path)))
    seen = [i for i, m in enumerate(meshes) if m is not None]
    if not seen:
        raise InputError(f"{path}: no face found in any frame of the video")
    smooth = one_euro(np.stack([meshes[i] for i in seen]), float(info.fps or 25)).astype(np.float32)
    by_frame = dict(zip(seen, smooth, strict=True))
    middle = seen[len(seen) // 2]
    frames_path = out_dir / "frames.nut"
    outputs: dict[str, Output] = {}
    with FrameWriter(frames_path, info.fps, info.width, info.height) as writer:
        for i, frame in enumerate(_frames(path)):
            points = by_frame.get(i)
            out = frame if points is None else edited(MeshWarp(frame, points), points, params.edits)
            writer.write(out)
            if i == middle:
                outputs["original"] = Output(path=_png(out_dir / "original.png", frame), kind="image")
                outputs["image"] = Output(path=_png(out_dir / "edited.png", out), kind="image")
            ctx.progress(i + 1, len(meshes))
    outputs["frames"] = Output(path=frames_path, kind="frames", meta={"frames": len(meshes)})
    return StageResult(
        outputs=outputs, metrics={"frames_without_face": float(len(meshes) - len(seen))}, frames=len(meshes)
    )
