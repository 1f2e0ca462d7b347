"""Which face of a photo or frame is meant: by index (left to right) or the largest."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dhcore.errors import InputError
from dhcore.face.faces import Face, FaceAnalyzer
from dhcore.face.reference import ReferenceFace, _load_scaled, detect_faces


def pick(faces: list[Face], index: int | None) -> Face | None:
    """Face `index` counted left to right from 0, or the largest when index is None."""
    if not faces:
        return None
    if index is None:
        return max(faces, key=lambda f: f.size)
    ordered = sorted(faces, key=lambda f: float(f.box[0] + f.box[2]))
    return ordered[index] if index < len(ordered) else None


def face_of_photo(path: Path, analyzer: FaceAnalyzer, index: int | None = None) -> ReferenceFace:
    """The chosen face of a photo with its landmarks and embedding; InputError naming the file."""
    image = _load_scaled(Path(path))
    faces = detect_faces(analyzer, image)
    face = pick(faces, index)
    if face is None:
        what = "no face found" if not faces else f"no face {index} (it shows {len(faces)}, counted from 0)"
        raise InputError(f"{path}: {what} (face backend {analyzer.backend})")
    landmarks = analyzer.landmarks68(image, face)
    return ReferenceFace(Path(path), image, face, landmarks, analyzer.embed(image, face), analyzer.backend)


def mean_embedding(faces: list[ReferenceFace]) -> np.ndarray:
    return np.mean([f.embedding for f in faces], axis=0).astype(np.float32)
