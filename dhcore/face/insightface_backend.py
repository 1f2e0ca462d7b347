"""The insightface backend: SCRFD detector + ArcFace recognizer from a local model pack folder.

`FaceAnalysis` would download a pack by default; here the two ONNX files of the registered
pack (buffalo_l: det_10g.onnx, w600k_r50.onnx) are opened directly with insightface's model
classes, on CPU, after the registry verified their hashes. Embeddings are 512-d and compared
by cosine distance (1 - cos; same person when <= 0.6, FaceFusion's default).

The pack's 68-point landmark model needs a pickled mean shape (insightface/data), which dh
never unpickles; 68 landmarks come from dlib's shape predictor on a box derived from the
SCRFD key points instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dhcore.errors import ModelError
from dhcore.face.align import warp_face
from dhcore.face.faces import Face
from dhcore.models.onnx_providers import onnx_providers

DETECTOR_FILE = "det_10g.onnx"
RECOGNIZER_FILE = "w600k_r50.onnx"


def _check_model(model: object, path: Path, cls: type, what: str) -> None:
    if not isinstance(model, cls):
        found = type(model).__name__ if model is not None else "an unrecognised model"
        raise ModelError(f"{path}: expected {what}, insightface reads this file as {found}")


def load_detector(path: Path) -> object:
    from insightface.model_zoo.model_zoo import get_model
    from insightface.model_zoo.scrfd import SCRFD

    model = _open(path, get_model)
    _check_model(model, path, SCRFD, "an SCRFD face detector (5 key points)")
    if not model.use_kps:  # type: ignore[attr-defined]
        raise ModelError(f"{path}: this SCRFD detector has no key-point outputs (9 or 15 outputs needed)")
    shape = model.session.get_inputs()[0].shape  # type: ignore[attr-defined]
    if len(shape) != 4 or shape[1] != 3:
        raise ModelError(f"{path}: wrong input shape for the face detector: {shape}, expected [1, 3, H, W]")
    model.prepare(-1, det_thresh=0.5, nms_thresh=0.4)  # type: ignore[attr-defined]
    return model


def load_recognizer(path: Path) -> object:
    from insightface.model_zoo.arcface_onnx import ArcFaceONNX
    from insightface.model_zoo.model_zoo import get_model

    model = _open(path, get_model)
    _check_model(model, path, ArcFaceONNX, "an ArcFace recognizer")
    shape = model.session.get_inputs()[0].shape  # type: ignore[attr-defined]
    out = model.session.get_outputs()[0].shape  # type: ignore[attr-defined]
    if list(shape[1:]) != [3, 112, 112] or out[-1] != 512:
        raise ModelError(
            f"{path}: wrong input shape for the ArcFace recognizer: {shape} -> {out}, expected [N, 3, 112, 112] -> [N, 512]"
        )
    return model


def _open(path: Path, get_model: object) -> object:
    if not Path(path).is_file():
        raise ModelError(f"{path}: model file not found")
    try:
        return get_model(str(path), providers=onnx_providers())  # type: ignore[operator]
    except Exception as exc:  # noqa: BLE001 - protobuf, onnxruntime and assertion errors alike
        raise ModelError(
            f"{path}: not a loadable insightface ONNX model ({type(exc).__name__}: {exc})"
        ) from exc


class ArcFaceEmbedder:
    """512-d ArcFace embeddings of faces given by their 5 key points (unit length)."""

    def __init__(self, path: Path) -> None:
        self.model = load_recognizer(path)

    def raw(self, image: np.ndarray, kps: np.ndarray) -> np.ndarray:
        """The recognizer's output as is (StableAnimator's face encoder was trained on it)."""
        crop, _ = warp_face(image, kps, "arcface", 112)
        return self.model.get_feat(np.ascontiguousarray(crop[:, :, ::-1]))[0].astype(np.float32)  # type: ignore[attr-defined]

    def __call__(self, image: np.ndarray, kps: np.ndarray) -> np.ndarray:
        feat = self.raw(image, kps)
        return feat / max(1e-12, float(np.linalg.norm(feat)))


def dlib_box_from_kps(kps: np.ndarray) -> np.ndarray:
    """A box shaped like dlib's HOG boxes (brows to chin), from eye and mouth points."""
    eyes = (kps[0] + kps[1]) / 2
    mouth = (kps[3] + kps[4]) / 2
    iod = float(np.linalg.norm(kps[1] - kps[0]))
    size = max(2.0 * iod, 1.6 * float(np.linalg.norm(mouth - eyes)))
    centre = eyes + 0.63 * (mouth - eyes)
    return np.array([centre[0] - size / 2, centre[1] - size / 2, centre[0] + size / 2, centre[1] + size / 2])


class InsightFaceAnalyzer:
    backend = "insightface"
    embedding_size = 512
    preferred_face_px = 96

    def __init__(self, folder: Path) -> None:
        self.detector = load_detector(Path(folder) / DETECTOR_FILE)
        self.embedder = ArcFaceEmbedder(Path(folder) / RECOGNIZER_FILE)
        self._landmarker: object | None = None

    def detect(self, image: np.ndarray) -> list[Face]:
        side = max(image.shape[:2])
        size = (320, 320) if side <= 400 else (640, 640)
        boxes, kpss = self.detector.detect(np.ascontiguousarray(image[:, :, ::-1]), input_size=size)  # type: ignore[attr-defined]
        faces = [
            Face(box=b[:4].astype(np.float32), score=float(b[4]), kps=k.astype(np.float32))
            for b, k in zip(boxes, kpss, strict=True)
        ]
        return sorted(faces, key=lambda f: -f.score)

    def embed(self, image: np.ndarray, face: Face) -> np.ndarray:
        return self.embedder(image, face.kps)

    def landmarks68(self, image: np.ndarray, face: Face) -> np.ndarray:
        if face.landmarks is None:
            import dlib

            from dhcore.face.dlib_backend import MODEL_FILES, model_folder

            if self._landmarker is None:
                self._landmarker = dlib.shape_predictor(str(model_folder() / MODEL_FILES["landmarks68"]))
            x0, y0, x1, y1 = (int(round(float(v))) for v in dlib_box_from_kps(face.kps))
            shape = self._landmarker(np.ascontiguousarray(image), dlib.rectangle(x0, y0, x1, y1))  # type: ignore[operator]
            face.landmarks = np.array([[p.x, p.y] for p in shape.parts()], np.float32)
        return face.landmarks

    def distance(self, a: np.ndarray, b: np.ndarray) -> float:
        a = np.asarray(a, np.float32).ravel()
        b = np.asarray(b, np.float32).ravel()
        return float(1.0 - a @ b / max(1e-12, float(np.linalg.norm(a) * np.linalg.norm(b))))
