"""One interface over the face backends: detection, landmarks and identity embeddings.

Every backend returns `Face` records in image pixels with the same 5 key points (eye
centres, nose tip, mouth corners, image-left first), so alignment, tracking and paste-back
code never depends on the backend. Models are loaded once per process (`load_analyzer`
keeps them in the warm-model pool, dhcore.pool) and reused across frames, stages and threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from dhcore.errors import InputError
from dhcore.pool import POOL, ModelPool


@dataclass
class Face:
    box: np.ndarray  # [4] float32: x0, y0, x1, y1 in pixels
    score: float
    kps: np.ndarray  # [5, 2]: eye centres (image-left, image-right), nose tip, mouth corners (left, right)
    landmarks: np.ndarray | None = None  # [68, 2] iBUG-68 order, when the backend has them
    #: backend-specific points the embedding is aligned with (dlib's 5-point chip points)
    embed_points: np.ndarray | None = None
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def size(self) -> float:
        return float(np.sqrt(max(1.0, (self.box[2] - self.box[0]) * (self.box[3] - self.box[1]))))

    def translated(self, dx: float, dy: float, scale: float = 1.0) -> Face:
        """This face in another image's pixels: p' = p / scale + (dx, dy)."""

        def move(p: np.ndarray | None) -> np.ndarray | None:
            if p is None:
                return None
            out = p.astype(np.float32) / scale
            out[..., 0] += dx
            out[..., 1] += dy
            return out

        box = self.box.astype(np.float32) / scale + np.array([dx, dy, dx, dy], np.float32)
        return Face(
            box=box, score=self.score, kps=move(self.kps), landmarks=move(self.landmarks),
            embed_points=move(self.embed_points), extra={k: move(v) for k, v in self.extra.items()},
        )  # fmt: skip


class FaceAnalyzer(Protocol):
    """What every face backend provides."""

    backend: str
    embedding_size: int
    #: the face size (pixels) the detector works best at; the tracker scales its search window to it
    preferred_face_px: int

    def detect(self, image: np.ndarray) -> list[Face]:
        """Faces in an RGB uint8 image, best first, with key points (and landmarks where cheap)."""
        ...

    def embed(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The identity embedding of one detected face."""
        ...

    def landmarks68(self, image: np.ndarray, face: Face) -> np.ndarray:
        """iBUG-68 landmarks of a detected face (computed on demand when the detector lacks them)."""
        ...

    def distance(self, a: np.ndarray, b: np.ndarray) -> float:
        """The backend's identity distance: same person when <= its threshold."""
        ...


def kps_from_68(landmarks: np.ndarray) -> np.ndarray:
    """The 5 alignment points from iBUG-68 landmarks."""
    lm = np.asarray(landmarks, dtype=np.float32)
    return np.stack([lm[36:42].mean(0), lm[42:48].mean(0), lm[30], lm[48], lm[54]]).astype(np.float32)


def face_outline(landmarks: np.ndarray, lift: float = 0.3) -> np.ndarray:
    """Jaw line plus the brows lifted towards the hairline: the outline of the whole face [27, 2].

    The brows move up along the chin->brow direction by `lift` x the chin-brow distance.
    """
    lm = np.asarray(landmarks, np.float32)
    brows = lm[17:27]
    up = brows.mean(0) - lm[8]
    return np.vstack([lm[:17], brows + lift * up]).astype(np.float32)


def box_from_points(points: np.ndarray) -> np.ndarray:
    x0, y0 = points.min(0)
    x1, y1 = points.max(0)
    return np.array([x0, y0, x1, y1], np.float32)


def euclidean(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32)))


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, np.float32).ravel()
    b = np.asarray(b, np.float32).ravel()
    return float(a @ b / max(1e-12, float(np.linalg.norm(a) * np.linalg.norm(b))))


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def load_analyzer(backend: str, models_root: Path | None = None, pool: ModelPool = POOL) -> FaceAnalyzer:
    """The backend's analyzer from the pool of warm models: loaded once, every call under the face lock
    (the analyzers share dlib models, which are not thread-safe)."""
    key = ("face.analyzer", backend, str(models_root or ""))
    return pool.guarded(key, lambda: _create(backend, models_root), family="face")  # type: ignore[no-any-return]


def _create(backend: str, models_root: Path | None) -> FaceAnalyzer:
    from dhcore.face.backends import ANALYZERS
    from dhcore.models import registry

    entry = ANALYZERS[backend]
    return entry.load()(*(registry.resolve(i, models_root) for i in entry.model_ids))  # type: ignore[no-any-return]


def read_image(path: Path) -> np.ndarray:
    """An image file as RGB uint8, or an InputError naming the file."""
    data = np.fromfile(path, dtype=np.uint8) if Path(path).is_file() else np.empty(0, np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise InputError(f"{path}: not a readable image")
    return np.ascontiguousarray(image[:, :, ::-1])
