"""Face restorers: the embedded classical one and GFPGAN / CodeFormer through onnxruntime.

All take a frame and the tracked face's smoothed points and return the frame with the face
restored and blended in by `strength`; pixels outside the face mask are never changed.

- classical: works in frame pixels (no resampling, so nothing gets softer): the face's LAB
  statistics move towards the reference photo's face, and an edge-preserving (guided filter)
  detail boost on lightness recovers some crispness without halos.
- gfpgan / codeformer: the face is aligned to the FFHQ 512 template from its 5 key points,
  run through the model (RGB in [-1, 1], NCHW), and pasted back with a feathered box mask.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from dhcore.errors import ModelError
from dhcore.face.align import box_mask, hull_mask, paste_back, warp_face
from dhcore.face.color import LabStats, lab_stats, match_lab
from dhcore.face.faces import face_outline
from dhcore.face.onnx_check import FLOAT, check_output, open_session
from dhcore.face.params import RestoreParams
from dhcore.face.reference import ReferenceFace
from dhcore.pool import POOL, ModelPool

MODEL_FILES = {"gfpgan": "gfpgan_1.4.onnx", "codeformer": "codeformer.onnx"}


class Restorer(Protocol):
    name: str

    def __call__(self, frame: np.ndarray, kps: np.ndarray, landmarks: np.ndarray | None) -> np.ndarray: ...


def face_region(
    landmarks: np.ndarray, shape: tuple[int, int], pad: float = 0.15
) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1) of the face outline, padded, clipped to the frame."""
    outline = face_outline(landmarks)
    lo, hi = outline.min(0), outline.max(0)
    margin = (hi - lo) * pad
    x0, y0 = np.maximum(np.floor(lo - margin).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(hi + margin).astype(int), [shape[1], shape[0]])
    return int(x0), int(y0), int(x1), int(y1)


def outline_mask(
    landmarks: np.ndarray, region: tuple[int, int, int, int], feather_frac: float = 0.08
) -> np.ndarray:
    x0, y0, x1, y1 = region
    outline = face_outline(landmarks) - np.array([x0, y0], np.float32)
    size = float(np.ptp(outline[:, 0]) + np.ptp(outline[:, 1])) / 2
    return hull_mask(outline, (y1 - y0, x1 - x0), feather=max(1.0, feather_frac * size))


def reference_colors(ref: ReferenceFace) -> LabStats:
    region = face_region(ref.landmarks, ref.image.shape[:2])
    x0, y0, x1, y1 = region
    return lab_stats(ref.image[y0:y1, x0:x1], outline_mask(ref.landmarks, region))


class ClassicalRestorer:
    name = "classical"

    def __init__(self, reference: ReferenceFace, strength: float, color: float, detail: float) -> None:
        self.target = reference_colors(reference)
        self.strength, self.color, self.detail = strength, color, detail

    @classmethod
    def open(
        cls, name: str, params: RestoreParams, reference: ReferenceFace, folders: list[Path]
    ) -> ClassicalRestorer:
        return cls(reference, params.strength, params.color, params.detail)

    def __call__(self, frame: np.ndarray, kps: np.ndarray, landmarks: np.ndarray | None) -> np.ndarray:
        if landmarks is None:
            raise ValueError("the classical restorer needs 68 landmarks")
        region = face_region(landmarks, frame.shape[:2])
        x0, y0, x1, y1 = region
        if x1 - x0 < 8 or y1 - y0 < 8:
            return frame
        roi = frame[y0:y1, x0:x1]
        mask = outline_mask(landmarks, region)
        fixed = match_lab(roi, lab_stats(roi, mask), self.target, self.color) if self.color > 0 else roi
        if self.detail > 0:
            fixed = self._detail(fixed, max(1, int(round((x1 - x0) / 60))))
        alpha = (mask * self.strength)[..., None]
        blended = roi.astype(np.float32) * (1 - alpha) + fixed.astype(np.float32) * alpha
        out = frame.copy()
        out[y0:y1, x0:x1] = np.where(alpha > 0, np.clip(blended + 0.5, 0, 255), roi).astype(np.uint8)
        return out

    def _detail(self, roi: np.ndarray, radius: int) -> np.ndarray:
        lab = cv2.cvtColor(roi, cv2.COLOR_RGB2LAB)
        lightness = lab[..., 0].astype(np.float32) / 255.0
        base = cv2.ximgproc.guidedFilter(lightness, lightness, radius, 0.01**2)
        boosted = lightness + self.detail * (lightness - base)
        lab[..., 0] = np.clip(boosted * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


class OnnxRestorer:
    """GFPGAN v1.4 or CodeFormer exported to ONNX: [1,3,512,512] RGB in [-1,1] -> same."""

    size = 512

    def __init__(self, kind: str, path: Path, strength: float, fidelity: float = 0.7) -> None:
        self.name = kind
        expected = [((1, 3, self.size, self.size), FLOAT)]
        if kind == "codeformer":
            expected.append(((None,), ("tensor(double)", "tensor(float)")))
        self.session = open_session(path, expected, f"{kind} (face restoration)")
        check_output(self.session, path, (1, 3, self.size, self.size), kind)
        inputs = self.session.get_inputs()
        self.feeds: dict[str, np.ndarray] = {}
        if kind == "codeformer":
            dtype = np.float64 if inputs[1].type == "tensor(double)" else np.float32
            self.feeds[inputs[1].name] = np.array([fidelity], dtype=dtype)
        self.input_name = inputs[0].name
        self.strength = strength
        self.mask = box_mask(self.size)

    @classmethod
    def open(
        cls, name: str, params: RestoreParams, reference: ReferenceFace, folders: list[Path]
    ) -> OnnxRestorer:
        return cls(name, folders[0] / MODEL_FILES[name], params.strength, params.fidelity)

    def restore_crop(self, crop: np.ndarray) -> np.ndarray:
        blob = (crop.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]
        out = self.session.run(None, {self.input_name: np.ascontiguousarray(blob), **self.feeds})[0]
        if out.shape != (1, 3, self.size, self.size):
            raise ModelError(f"{self.name}: model returned shape {out.shape}, expected (1, 3, 512, 512)")
        image = (np.clip(out[0], -1.0, 1.0) + 1.0) * 127.5
        return np.clip(image.transpose(1, 2, 0) + 0.5, 0, 255).astype(np.uint8)

    def __call__(self, frame: np.ndarray, kps: np.ndarray, landmarks: np.ndarray | None) -> np.ndarray:
        crop, m = warp_face(frame, kps, "ffhq", self.size)
        return paste_back(frame, self.restore_crop(crop), m, self.mask, self.strength)


def load_restorer(
    params: RestoreParams, reference: ReferenceFace, models_root: Path | None = None, pool: ModelPool = POOL
) -> Restorer | None:
    """The configured restorer (None for backend 'none'); model files come from the registry. One
    that loads weights is kept warm in `pool` (it does not depend on the reference photo)."""
    if params.backend == "none":
        return None
    from dhcore.face.backends import RESTORERS
    from dhcore.models import registry

    entry = RESTORERS[params.backend]
    folders = [registry.resolve(i, models_root) for i in entry.model_ids]

    def load() -> Restorer:
        return entry.load().open(params.backend, params, reference, folders)  # type: ignore[no-any-return]

    if not entry.model_ids:
        return load()
    weights = [
        f"{f}:{registry.weights_sha256(i, models_root)}"
        for i, f in zip(entry.model_ids, folders, strict=True)
    ]
    key = ("face.restorer", params.backend, *weights, params.strength, params.fidelity)
    return pool.get(key, load)
