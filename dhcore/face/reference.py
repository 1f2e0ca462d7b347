"""The reference photo's face: found once per stage, used to select, measure and repair faces."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dhcore.errors import DhError, InputError
from dhcore.face.faces import Face, FaceAnalyzer, load_analyzer, read_image
from dhcore.face.track import head_boxes, search_window
from dhcore.pose.keypoints import PoseSequence

#: reference photos are analysed at most this large (long side): faster, and plenty for a face
MAX_SIDE = 1024


@dataclass
class ReferenceFace:
    path: Path
    image: np.ndarray  # RGB, downscaled to MAX_SIDE when larger; all coordinates refer to it
    face: Face
    landmarks: np.ndarray  # [68, 2]
    embedding: np.ndarray
    backend: str


def _load_scaled(path: Path) -> np.ndarray:
    image = read_image(path)
    scale = MAX_SIDE / max(image.shape[:2])
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image)


def detect_faces(analyzer: FaceAnalyzer, image: np.ndarray) -> list[Face]:
    faces = analyzer.detect(image)
    if not faces and analyzer.backend == "dlib":  # the CNN detector copes with turned heads
        faces = analyzer.detect(image, cnn=True)  # type: ignore[call-arg]
    return faces


def pick_face(faces: list[Face], index: int | None = None) -> Face | None:
    """Face `index` counted left to right from 0 (by box centre), or the largest when index is None."""
    if not faces:
        return None
    if index is None:
        return max(faces, key=lambda f: f.size)
    ordered = sorted(faces, key=lambda f: float(f.box[0] + f.box[2]))
    return ordered[index] if index < len(ordered) else None


def reference_face(
    path: Path, analyzer: FaceAnalyzer, index: int | None = None, pose: Path | str | None = None
) -> ReferenceFace:
    """The largest face of the reference photo (face `index` left to right when given), or an
    InputError naming the file. Of a group photo's faces, the animated person's: the one on the nose
    of `pose` (pose.extract's reference pose, which follows `subject.person`) when given."""
    image = _load_scaled(Path(path))
    faces = detect_faces(analyzer, image)
    if not faces:
        raise InputError(f"{path}: no face found in the reference photo (face backend {analyzer.backend})")
    group = index is None and len(faces) > 1
    head = _head_box(pose, image) if pose is not None and group else None
    if head is not None:
        face = _face_on_head(analyzer, image, faces, head)
        if face is None:
            x, y = (head[:2] + head[2:]) / 2 / image.shape[1::-1] * 100
            raise InputError(
                f"{path}: no face found on the animated person's head (nose at {x:.0f}% across, {y:.0f}% "
                f"down the photo; face backend {analyzer.backend})"
            )
    elif group:
        face = _animated_face(Path(path), image, faces)
    else:
        face = pick_face(faces, index)
    if face is None:
        raise InputError(f"{path}: no face {index} (it shows {len(faces)}, counted left to right from 0)")
    landmarks = analyzer.landmarks68(image, face)
    embedding = analyzer.embed(image, face)
    return ReferenceFace(Path(path), image, face, landmarks, embedding, analyzer.backend)


def _head_box(pose: Path | str, image: np.ndarray) -> np.ndarray | None:
    """Where the reference pose puts the animated person's face, in the (scaled) image's pixels."""
    box = head_boxes(PoseSequence.load(pose).slice(0, 1), image.shape[1], image.shape[0])[0]
    return None if np.isnan(box).any() else box


def _face_on_head(
    analyzer: FaceAnalyzer, image: np.ndarray, faces: list[Face], head: np.ndarray
) -> Face | None:
    """The face whose box holds the head box's centre (the nose), nearest first; when the whole-photo
    search missed it (a small face in a group), searched again around the head."""
    nose = (head[:2] + head[2:]) / 2

    def on_nose(found: list[Face]) -> Face | None:
        holding = [f for f in found if f.box[0] <= nose[0] <= f.box[2] and f.box[1] <= nose[1] <= f.box[3]]
        return min(
            holding, key=lambda f: float(np.hypot(*((f.box[:2] + f.box[2:]) / 2 - nose))), default=None
        )

    return on_nose(faces) or on_nose(search_window(analyzer, image, head))


def _animated_face(path: Path, image: np.ndarray, faces: list[Face]) -> Face:
    """Of a group photo's faces, the person pose.extract animates (its largest, most central face):
    the largest face may be someone else's, whose face would be measured and pasted on the dancer."""
    from dhcore.pose.extract_people import choose_person, find_faces

    people = find_faces(read_image(path))
    index = choose_person(people, None, str(path)).index
    if index is None:
        return max(faces, key=lambda f: f.size)
    chosen = people[index]
    x, y = chosen.centre_x * image.shape[1], (chosen.y + chosen.h / 2) * image.shape[0]
    return min(
        faces, key=lambda f: float(np.hypot((f.box[0] + f.box[2]) / 2 - x, (f.box[1] + f.box[3]) / 2 - y))
    )


def reference_face_problem(path: Path, backend: str = "dlib", models_root: Path | None = None) -> str | None:
    """For the spec validator: None when the photo shows a face the backend finds, else why not."""
    try:
        image = _load_scaled(Path(path))
        faces = detect_faces(load_analyzer(backend, models_root), image)
    except DhError as exc:
        return str(exc).removeprefix(f"{path}: ")
    return None if faces else f"no face found in the reference photo (face backend {backend})"
