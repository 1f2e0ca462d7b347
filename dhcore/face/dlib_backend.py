"""The embedded dlib backend: HOG (or CNN) detector, 5/68-point landmarks, 128-d descriptor.

Models come from the face_recognition_models wheel. The descriptor network runs through
onnxruntime (`dlib_onnx`) with dlib's own weights; the face chip is cut by dlib exactly as
`face_recognition` does (5-point shape, 150 px, padding 0.25), so distances keep dlib's
calibration: same person < 0.6 (Euclidean).
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import dlib
import numpy as np

from dhcore.errors import ModelError
from dhcore.face.faces import Face, euclidean, kps_from_68

if TYPE_CHECKING:
    from dhcore.face.dlib_onnx import DlibEncoder

MODEL_FILES = {
    "recognition": "dlib_face_recognition_resnet_model_v1.dat",
    "landmarks68": "shape_predictor_68_face_landmarks.dat",
    "landmarks5": "shape_predictor_5_face_landmarks.dat",
    "cnn_detector": "mmod_human_face_detector.dat",
}
#: dlib's 5-point model marks these iBUG-68 points (eye corners, nose base)
DLIB5_FROM_68 = [45, 42, 36, 39, 33]


def model_folder() -> Path:
    """face_recognition_models' model folder, found without importing it (it imports pkg_resources)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the dlib face models are missing: pip install face_recognition_models==0.3.0")
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    missing = [name for name in MODEL_FILES.values() if not (folder / name).is_file()]
    if missing:
        raise ModelError(f"{folder}: missing {', '.join(missing)}; reinstall face_recognition_models")
    return folder


@cache
def weights_sha256() -> str:
    """One digest over the dlib model files (130 MB): part of the cache key of stages using them.

    Each file's sha256 comes from the catalog's file digests, so it is read once per host, not
    once per production."""
    from dhcore.catalog.digests import file_sha256

    folder = model_folder()
    lines = [f"{MODEL_FILES[key]}:{file_sha256(folder / MODEL_FILES[key])}" for key in sorted(MODEL_FILES)]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _rect(box: np.ndarray) -> dlib.rectangle:
    x0, y0, x1, y1 = (int(round(float(v))) for v in box)
    return dlib.rectangle(x0, y0, x1, y1)


def _points(shape: dlib.full_object_detection) -> np.ndarray:
    return np.array([[p.x, p.y] for p in shape.parts()], np.float32)


class DlibAnalyzer:
    backend = "dlib"
    embedding_size = 128
    preferred_face_px = 100  # the HOG window is 80x80; a little larger detects reliably
    chip_size = 150
    chip_padding = 0.25

    def __init__(self) -> None:
        folder = model_folder()
        self._hog = dlib.get_frontal_face_detector()
        self._cnn_path = folder / MODEL_FILES["cnn_detector"]
        self._cnn: object | None = None
        self._sp68 = dlib.shape_predictor(str(folder / MODEL_FILES["landmarks68"]))
        self._sp5 = dlib.shape_predictor(str(folder / MODEL_FILES["landmarks5"]))
        self._encoder_path = folder / MODEL_FILES["recognition"]

    @cached_property
    def _encoder(self) -> DlibEncoder:
        """Built on the first embedding: detecting alone (the spec validator) skips onnxruntime."""
        from dhcore.face.dlib_onnx import DlibEncoder

        return DlibEncoder(self._encoder_path)

    def detect(self, image: np.ndarray, upsample: int | None = None, cnn: bool = False) -> list[Face]:
        """HOG detections (or the slower, pose-robust CNN with cnn=True), best first.

        upsample None: native size, then (HOG only) once 2x upsampled when nothing was found in an
        image of at most 800 px (faces under ~80 px), and 4x in one of at most 600 px (faces under
        ~40 px: a full-body dancer's in a 512 px frame, which the tracker must first find whole).
        """
        image = np.ascontiguousarray(image)
        if upsample is None:
            found = self.detect(image, 0, cnn)
            if found or cnn or max(image.shape[:2]) > 800:
                return found
            found = self.detect(image, 1, cnn)
            if found or max(image.shape[:2]) > 600:
                return found
            upsample = 2
        if cnn:
            if self._cnn is None:
                self._cnn = dlib.cnn_face_detection_model_v1(str(self._cnn_path))
            found = [(d.rect, float(d.confidence)) for d in self._cnn(image, upsample)]  # type: ignore[operator]
        else:
            rects, scores, _ = self._hog.run(image, upsample, 0.0)
            found = list(zip(rects, scores, strict=True))
        faces = [self._face(image, rect, score) for rect, score in found]
        return sorted(faces, key=lambda f: -f.score)

    def _face(self, image: np.ndarray, rect: dlib.rectangle, score: float) -> Face:
        landmarks = _points(self._sp68(image, rect))
        box = np.array([rect.left(), rect.top(), rect.right(), rect.bottom()], np.float32)
        face = Face(box=box, score=float(score), kps=kps_from_68(landmarks), landmarks=landmarks)
        face.embed_points = _points(self._sp5(image, rect))
        return face

    def refit(self, image: np.ndarray, face: Face) -> Face:
        """The same face box re-fitted on an edited version of the image (cheap: no detector)."""
        refitted = Face(box=face.box.copy(), score=face.score, kps=face.kps.copy())
        refitted.embed_points = _points(self._sp5(np.ascontiguousarray(image), _rect(face.box)))
        return refitted

    def chip(self, image: np.ndarray, face: Face) -> np.ndarray:
        points = face.embed_points
        if points is None:  # a face from another detector: use its 68 landmarks' dlib-5 points
            points = self.landmarks68(image, face)[DLIB5_FROM_68]
        parts = [dlib.point(int(round(float(x))), int(round(float(y)))) for x, y in points]
        shape = dlib.full_object_detection(_rect(face.box), parts)
        return dlib.get_face_chip(np.ascontiguousarray(image), shape, self.chip_size, self.chip_padding)

    def embed(self, image: np.ndarray, face: Face) -> np.ndarray:
        return self._encoder(self.chip(image, face))[0]

    def landmarks68(self, image: np.ndarray, face: Face) -> np.ndarray:
        if face.landmarks is None:
            face.landmarks = _points(self._sp68(np.ascontiguousarray(image), _rect(face.box)))
        return face.landmarks

    def distance(self, a: np.ndarray, b: np.ndarray) -> float:
        return euclidean(a, b)
