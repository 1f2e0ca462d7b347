"""face_reenact.mesh: the source face performing the driving video (relative motion on the mesh).

Two passes over the driver, never holding its frames: its face mesh per frame (smoothed with a
One-Euro filter; a frame without a face holds the last one seen), then the source rendered per frame.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from dhcore.errors import InputError
from dhcore.facemesh.landmarks import one_face, track
from dhcore.facemesh.one_euro import one_euro
from dhcore.facemesh.warp import MeshWarp
from dhcore.media.frames import FrameWriter, iter_frames, probe
from dhcore.pose.extract import read_image
from dhcore.reenact.params import Params
from dhcore.reenact.transfer import transfer
from dhcore.stage import InputValue, Output, StageContext, StageDef, StageResult, port

NAME = "face_reenact.mesh"
VERSION = "1"
#: below this share of driver frames with a face the driver is refused
MIN_FACE_SHARE = 0.5


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("source", "image"), port("driver", "video")),
    outputs=(port("frames", "frames"),),
    impl="dhcore.reenact.render:run",
)


def driver_track(path: Path) -> tuple[np.ndarray, int]:
    """[frames, 478, 3] meshes of the driver (gaps held), and how many frames had no face."""
    meshes = list(track((f for chunk in iter_frames(path) for f in chunk), str(path)))
    found = [m for m in meshes if m is not None]
    if len(found) < MIN_FACE_SHARE * max(1, len(meshes)):
        raise InputError(
            f"{path}: a face was found in only {len(found)} of {len(meshes)} frames of the driving video"
        )
    held, last = [], found[0]
    for m in meshes:
        last = m if m is not None else last
        held.append(last)
    return np.stack(held), len(meshes) - len(found)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Render the source face moving as the driver's face does."""
    source_path, driver_path = Path(inputs["source"]), Path(inputs["driver"])
    photo = read_image(source_path)
    source = one_face(photo, str(source_path))
    info = probe(driver_path)
    meshes, missing = driver_track(driver_path)
    smooth = one_euro(meshes, float(info.fps), params.smoothing_cutoff, params.smoothing_beta).astype(
        np.float32
    )
    warp = MeshWarp(photo, source)
    h, w = photo.shape[:2]
    out_path = out_dir / "frames.nut"
    with FrameWriter(out_path, info.fps or Fraction(25), w, h) as writer:
        for i, driver in enumerate(smooth):
            writer.write(
                warp.warp(transfer(source, smooth[0], driver, params.expression, params.head_motion))
            )
            ctx.progress(i + 1, len(smooth))
    return StageResult(
        outputs={"frames": Output(path=out_path, kind="frames", meta={"frames": len(smooth)})},
        metrics={"driver_frames_without_face": float(missing)},
        frames=len(smooth),
    )
