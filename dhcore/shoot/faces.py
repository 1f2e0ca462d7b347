"""Face measurements the photo shoot shares: which face of a photo counts, and how good it is.

One rule picks "the" face of a template, a candidate or a template original, so the face a
backend replaces is the face the score stage measures: the largest face, discounted by up to
half for lying far from the image centre (a group photo's subject is big and central).
Detection itself is the face stack's (`dhcore.face`): dlib falls back to its CNN detector
when HOG finds nothing, images are analysed at most MAX_SIDE pixels on the long side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dhcore.errors import DhError, InputError
from dhcore.face.faces import Face, FaceAnalyzer, load_analyzer, read_image
from dhcore.face.params import DEFAULT_THRESHOLDS
from dhcore.face.reference import MAX_SIDE, detect_faces
from dhcore.pool import POOL, ModelPool

#: faces are compared on this square grey crop, so sharpness does not depend on the face's size
SHARPNESS_PX = 128
#: detections under this share of the best detection's score are not candidates for the main face
CONFIDENT_SHARE = 0.25


@dataclass
class PhotoFaces:
    """An image file, its analysis copy (at most MAX_SIDE on the long side) and the faces in it."""

    path: Path
    original: np.ndarray  # RGB at full resolution
    image: np.ndarray  # RGB analysis copy; coordinates of `faces` refer to it
    scale: float  # analysis pixels per original pixel (<= 1)
    faces: list[Face]

    def main(self) -> Face | None:
        return main_face(self.faces, self.image.shape[1], self.image.shape[0])


def shared_analyzer(backend: str, models_root: Path | None = None, pool: ModelPool = POOL) -> FaceAnalyzer:
    """The face stack's warm analyzer for `backend`, safe to share between threads (the pool guards it)."""
    return load_analyzer(backend, models_root, pool)


def find_faces(path: Path, analyzer: FaceAnalyzer) -> PhotoFaces:
    """All faces of an image file; InputError naming the file when it cannot be read."""
    original = read_image(Path(path))
    scale = min(1.0, MAX_SIDE / max(original.shape[:2]))
    image = original
    if scale < 1:
        image = cv2.resize(original, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    image = np.ascontiguousarray(image)
    return PhotoFaces(Path(path), original, image, scale, detect(analyzer, image))


def detect(analyzer: FaceAnalyzer, image: np.ndarray) -> list[Face]:
    """Faces of an RGB image with the face stack's fallback (dlib: CNN when HOG finds none)."""
    return detect_faces(analyzer, np.ascontiguousarray(image))


def centrality(face: Face, width: int, height: int) -> float:
    """1 at the image centre, 0 at a corner (distance over half the diagonal)."""
    centre = (face.box[:2] + face.box[2:]) / 2
    offset = np.hypot(centre[0] - width / 2, centre[1] - height / 2)
    return float(max(0.0, 1.0 - offset / (0.5 * np.hypot(width, height))))


def main_face(faces: list[Face], width: int, height: int) -> Face | None:
    """The face a shoot works on: largest, discounted by up to half when far from the centre.

    Detections scoring under CONFIDENT_SHARE of the best one are ignored: dlib's HOG finds
    "faces" in clothing patterns at scores ~0.05 (the astronaut's mission patches) next to real
    faces at 1-2.5, and such a patch can be as large as the real face.
    """
    if not faces:
        return None
    best = max(f.score for f in faces)
    confident = [f for f in faces if f.score >= CONFIDENT_SHARE * best] or faces
    return max(confident, key=lambda f: f.size * (0.5 + 0.5 * centrality(f, width, height)))


def sharpness(image: np.ndarray, face: Face) -> float:
    """Variance of the Laplacian of the face box at SHARPNESS_PX (higher = crisper).

    Measured here: Grace Hopper's face ~1500, Gaussian blur sigma 4 of it ~20, the astronaut
    ~240, the small JPEG faces of insightface's t1.jpg 55-115.
    """
    h, w = image.shape[:2]
    x0, y0 = np.maximum(np.floor(face.box[:2]).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(face.box[2:]).astype(int), [w, h])
    if x1 - x0 < 4 or y1 - y0 < 4:
        return 0.0
    grey = cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    grey = cv2.resize(grey, (SHARPNESS_PX, SHARPNESS_PX), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def frontalness(kps: np.ndarray) -> float:
    """1 for a frontal face, towards 0 for a profile: how centred the nose is between the eyes.

    The nose tip is projected on the eye-to-eye line; a turned head moves it towards one eye.
    """
    left, right, nose = (np.asarray(kps[i], np.float64) for i in range(3))
    axis = right - left
    length = float(axis @ axis)
    if length < 1e-6:
        return 0.0
    t = float((nose - left) @ axis / length)
    return float(np.clip(1.0 - 2.0 * abs(t - 0.5), 0.0, 1.0))


def quality(image: np.ndarray, face: Face) -> float:
    """A 0-1 tie-breaker: half face size (full at 30 % of the short side), half sharpness."""
    short = min(image.shape[:2])
    size_term = min(1.0, face.size / (0.3 * short)) if short else 0.0
    sharp = sharpness(image, face)
    return 0.5 * size_term + 0.5 * sharp / (sharp + 200.0)


def default_threshold(backend: str) -> float:
    return DEFAULT_THRESHOLDS[backend]


def face_weights_sha256(backend: str, models_root: Path | None = None) -> str:
    """Digest of the face models shoot.identity, shoot.score and template_swap read with `backend`
    (dlib's wheel models, or the buffalo_l pack): part of their cache keys."""
    from dhcore.face.params import IdentityParams
    from dhcore.face.weights import stage_weights_sha256

    return stage_weights_sha256("face.identity", IdentityParams(backend=backend), models_root=models_root)  # type: ignore[arg-type]


def template_face_problem(path: Path, backend: str = "dlib", models_root: Path | None = None) -> str | None:
    """For the spec validator: None when the template shows a face to replace, else why not."""
    try:
        found = find_faces(Path(path), shared_analyzer(backend, models_root))
    except DhError as exc:
        return str(exc).removeprefix(f"{path}: ")
    if not found.faces:
        return f"no face found in the template (face backend {backend}); a template needs one face to replace"
    return None


def require_main_face(found: PhotoFaces, what: str, backend: str) -> Face:
    face = found.main()
    if face is None:
        raise InputError(f"{found.path}: no face found in the {what} (face backend {backend})")
    return face
