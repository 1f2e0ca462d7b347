"""Per-frame face crops of the driving video: the face video Wan-Animate's motion encoder reads.

The box comes from the 68 face landmarks dh already extracts (the head's body keypoints when the
face mesh is missing), as a square around them; a frame without either keeps the previous box
(the first boxes take the first found one), so the face video has one crop per driving frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from dhcore.errors import InputError
from dhcore.pose.keypoints import J, PoseSequence

HEAD = (J["nose"], J["r_eye"], J["l_eye"], J["r_ear"], J["l_ear"])
#: the head keypoints span about half a face mesh's larger extent (ear to ear vs chin to brow and cheeks)
HEAD_TO_FACE = 1.6
#: trailing frames a video may lack against its poses (decoders may drop the last ones)
MAX_SHORT = 2


def face_box(face: np.ndarray, body: np.ndarray, width: int, height: int, scale: float) -> np.ndarray | None:
    """(centre x, centre y, side) in pixels of one frame's square face box, or None without a face."""
    points = face[face[:, 2] > 0, :2]
    extent_scale = scale
    if len(points) < 3:
        head = body[list(HEAD)]
        points = head[head[:, 2] > 0, :2]
        extent_scale = scale * HEAD_TO_FACE
        if len(points) < 2:
            return None
    xy = points * (width, height)
    low, high = xy.min(axis=0), xy.max(axis=0)
    side = max(float((high - low).max()) * extent_scale, 8.0)
    return np.array([*((low + high) / 2), side], dtype=np.float64)


def face_boxes(pose: PoseSequence, scale: float) -> np.ndarray:
    """[F, 3] boxes, every frame filled: a frame without a face keeps the previous frame's box."""
    found = [face_box(pose.face[i], pose.body[i], pose.width, pose.height, scale) for i in range(len(pose))]
    first = next((b for b in found if b is not None), None)
    if first is None:
        raise InputError("the driving video shows no face in any frame: wan_animate needs the driver's face")
    boxes, last = np.empty((len(found), 3)), first
    for i, box in enumerate(found):
        last = box if box is not None else last
        boxes[i] = last
    return boxes


def crop_face(frame: np.ndarray, box: np.ndarray, size: int) -> np.ndarray:
    """The square `box` of an RGB frame at size x size; parts outside the frame are black."""
    cx, cy, side = box
    k = size / side
    affine = np.array([[k, 0, size / 2 - k * cx], [0, k, size / 2 - k * cy]], dtype=np.float64)
    return cv2.warpAffine(frame, affine, (size, size), flags=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))  # fmt: skip


def face_crops(
    chunks: Iterable[np.ndarray], pose: PoseSequence, size: int, scale: float
) -> Iterator[np.ndarray]:
    """One size x size crop per driving pose frame from the driving video's frame chunks, streamed.

    A video up to MAX_SHORT frames shorter than its poses repeats its last frame."""
    boxes = face_boxes(pose, scale)
    i, frame = 0, None
    for chunk in chunks:
        for frame in chunk:
            if frame.shape[:2] != (pose.height, pose.width):
                raise InputError(
                    f"driving frames are {frame.shape[1]}x{frame.shape[0]}, their poses "
                    f"{pose.width}x{pose.height}: not the same video"
                )
            if i == len(boxes):
                return
            yield crop_face(frame, boxes[i], size)
            i += 1
    if frame is None:
        raise InputError("the driving video has no frames")
    if len(boxes) - i > MAX_SHORT:
        raise InputError(f"the driving video has {i} frames but {len(boxes)} poses: not the same video")
    for j in range(i, len(boxes)):
        yield crop_face(frame, boxes[j], size)


def driving_face_crops(video: Path, pose: Path, size: int, scale: float) -> Iterator[np.ndarray]:
    """face_crops over a driving video file and its pose file."""
    from dhcore.media.frames import iter_frames

    return face_crops(iter_frames(video), PoseSequence.load(pose), size, scale)
