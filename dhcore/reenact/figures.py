"""face_reenact.figures: does the output move as the driver moves, and stay the source's person?

Measured on the rendered frames and the driving video, both by the face mesh:
- motion_distance (an AKD proxy for relative motion): the mean distance between the output's and
  the driver's landmark displacements since their first frames, each in its own face's axes and eye
  distances (0: the same motion).
- head_pose_distance: the mean angle (degrees) between the output's and the driver's head rotation
  since the first frame (3-D, from the mesh's rigid points).
- face_distance_max / face_distance_mean: identity (dlib) against the source photo, every STRIDE-th frame.
- landmark_jitter, driver_jitter: the output's and the raw driver's landmark acceleration.
- face_found_rate: the share of output frames in which the face mesh finds the face (gated: a video
  whose face is lost, or whose identity cannot be measured at all, never passes).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from dhcore.facemesh.expressions import face_frame
from dhcore.facemesh.identity import IdentityMeter, face_weights
from dhcore.facemesh.landmarks import eye_distance, track
from dhcore.facemesh.one_euro import jitter
from dhcore.media.frames import iter_frames
from dhcore.pose.extract import read_image
from dhcore.reenact.render import driver_track
from dhcore.reenact.transfer import RIGID, head_rotation, rotation_angle
from dhcore.stage import InputValue, StageContext, StageDef, StageParams, StageResult, port

NAME = "face_reenact.figures"
VERSION = "2"
INF = float("inf")


class Params(StageParams):
    stride: int = 5


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("source", "image"), port("driver", "video"), port("frames", "frames")),
    outputs=(),
    impl="dhcore.reenact.figures:run",
    weights=face_weights,
)


def displacements(meshes: np.ndarray) -> np.ndarray:
    """[frames, 478, 2]: each frame's points minus the first's, in the first face's axes and eye distances."""
    _, rot, iod = face_frame(meshes[0])
    return ((meshes[:, :, :2] - meshes[0, :, :2]) @ rot) / iod


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Compare the rendered frames with the driving video and the source photo."""
    source_path, frames_path = Path(inputs["source"]), Path(inputs["frames"])
    meter = IdentityMeter(read_image(source_path), str(source_path))
    driver, _ = driver_track(Path(inputs["driver"]))
    output, distances, missing = [], [], 0
    frames = (f for chunk in iter_frames(frames_path) for f in chunk)
    for i, (frame, mesh) in enumerate(zip(*_tee_track(frames), strict=True)):
        if mesh is None:
            missing += 1
            mesh = output[-1] if output else None
        if mesh is not None:
            output.append(mesh)
        if i % params.stride == 0 and (d := meter.distance(frame)) is not None:
            distances.append(d)
    if not output:
        metrics = {"frames_without_face": float(missing), "face_found_rate": 0.0, "face_distance_max": INF}
        return StageResult(metrics=metrics, warnings=["no face in any output frame"])
    out = np.stack(output)
    n = min(len(out), len(driver))
    out, driver = out[:n], driver[:n]
    motion = np.linalg.norm(displacements(out) - displacements(driver), axis=-1).mean()
    pose = [
        rotation_angle(head_rotation(o, out[0]) @ head_rotation(d, driver[0]).T)
        for o, d in zip(out, driver, strict=True)
    ]
    metrics = {
        "motion_distance": float(motion),
        "head_pose_distance": float(np.mean(pose)),
        "landmark_jitter": jitter(out[:, RIGID, :2], eye_distance(out[0])),
        "driver_jitter": jitter(driver[:, RIGID, :2], eye_distance(driver[0])),
        "frames_without_face": float(missing),
        "face_found_rate": 1.0 - missing / (i + 1),
    }
    # no frame the identity meter could read counts as a miss, not as a figure left out of the gates
    metrics["face_distance_max"] = float(max(distances)) if distances else INF
    if distances:
        metrics["face_distance_mean"] = float(np.mean(distances))
    ctx.progress(n, n)
    return StageResult(metrics=metrics, frames=n)


def _tee_track(frames: Iterator[np.ndarray]) -> tuple[Iterator[np.ndarray], Iterator[np.ndarray | None]]:
    """The frames, and their meshes, as two lock-step iterators (no frame is held longer)."""
    a, b = itertools.tee(frames)
    return a, track(b, "output")
