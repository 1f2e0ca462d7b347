"""Identity distance (dlib's 128-d descriptor, the face stack's default) of output frames against the
input photo: a face edit or a talking head must stay the same person."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dhcore.errors import InputError


class IdentityMeter:
    def __init__(self, reference: np.ndarray, where: str, backend: str = "dlib") -> None:
        from dhcore.face.faces import load_analyzer

        self.analyzer = load_analyzer(backend)
        embedding = self._embed(reference)
        if embedding is None:
            raise InputError(f"{where}: no face found for the identity figure (face backend {backend})")
        self.reference = embedding

    def _embed(self, image: np.ndarray) -> np.ndarray | None:
        from dhcore.face.reference import detect_faces

        faces = detect_faces(self.analyzer, image)
        if not faces:
            return None
        return self.analyzer.embed(image, max(faces, key=lambda f: f.size))

    def distance(self, image: np.ndarray) -> float | None:
        """Distance to the reference face; None when the frame shows no face."""
        embedding = self._embed(image)
        return None if embedding is None else float(self.analyzer.distance(self.reference, embedding))


def face_weights(params: object, root: Path | None) -> str:
    """The identity model's digest, for the cache key of stages that measure identity."""
    from dhcore.shoot.faces import face_weights_sha256

    return face_weights_sha256("dlib", root)
