"""Stage shoot.arcface: the identity in the ArcFace space the `arc2face` backend was trained on.

Arc2Face conditions on the embedding of its own ArcFace R100 (`arc2face_arcface`), computed
the way its authors do: insightface's SCRFD-10G detector with 5 key points (buffalo_l's
det_10g.onnx is that detector), the largest face, the 112 px ArcFace crop, L2-normalised.
Several photos give the normalised mean of their unit embeddings. Other ArcFace models
(buffalo_l's w600k_r50) embed into other spaces, so they cannot stand in for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dhcore.errors import InputError
from dhcore.face.faces import read_image
from dhcore.face.reference import MAX_SIDE
from dhcore.models import ids
from dhcore.stage import InputValue, NoParams, Output, StageContext, StageDef, StageResult, port

NAME = "shoot.arcface"
VERSION = "1"
MODEL_ID, MODEL_FILE = ids.ARC2FACE_ARCFACE, "arcface.onnx"
DETECTOR_ID, DETECTOR_FILE = ids.BUFFALO_L, "det_10g.onnx"
#: the detector input size of Arc2Face's own demo (FaceAnalysis.prepare(det_size=(640, 640)))
DETECTOR_SIZE = (640, 640)


def model_ids() -> list[str]:
    """Registry ids whose weights change this stage's output (for the cache key)."""
    return [DETECTOR_ID, MODEL_ID]


def _load(models_root: Path | None) -> tuple[object, object]:
    from dhcore.face.insightface_backend import ArcFaceEmbedder, load_detector
    from dhcore.models import registry

    # resolve both first: a missing model is a ModelError naming the id, the path and `dh models add`
    recogniser = registry.resolve(MODEL_ID, models_root) / MODEL_FILE
    detector = registry.resolve(DETECTOR_ID, models_root) / DETECTOR_FILE
    return load_detector(detector), ArcFaceEmbedder(recogniser)


def arcface_embeddings(photos: Sequence[Path], models_root: Path | None = None) -> list[np.ndarray]:
    """Unit ArcFace (arc2face space) embeddings of each photo's largest face; InputError naming
    a photo without a face."""
    import cv2

    detector, embedder = _load(models_root)
    out = []
    for path in photos:
        image = read_image(Path(path))
        scale = min(1.0, MAX_SIDE / max(image.shape[:2]))
        if scale < 1:
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        boxes, kpss = detector.detect(bgr, input_size=DETECTOR_SIZE)  # type: ignore[attr-defined]
        if len(boxes) == 0:
            raise InputError(
                f"{path}: no face found by the SCRFD detector (needed for the arc2face embedding)"
            )
        areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        kps = kpss[int(np.argmax(areas))].astype(np.float32)
        out.append(embedder(np.ascontiguousarray(image), kps))  # type: ignore[operator]
    return out


def arcface_identity(photos: Sequence[Path], models_root: Path | None = None) -> np.ndarray:
    """The identity's unit ArcFace vector [512] (float32) for arc2face."""
    if not photos:
        raise InputError("the arc2face embedding needs at least one identity photo")
    mean = np.mean(np.stack(arcface_embeddings(photos, models_root)), axis=0)
    return (mean / max(1e-12, float(np.linalg.norm(mean)))).astype(np.float32)


STAGE = StageDef(
    NAME,
    VERSION,
    NoParams,
    inputs=(port("photo", "image", many=True),),
    outputs=(port("embedding", "embedding"),),
    impl="dhcore.shoot.arcface:run",
    model_ids=lambda params: model_ids(),
)


def run(inputs: dict[str, InputValue], params: NoParams, out_dir: Path, ctx: StageContext) -> StageResult:
    """Write the identity's arc2face ArcFace vector to arcface.npy (float32 [512]).

    Pass the photos shoot.identity used (its embedding output's meta `used_paths`).
    """
    photos, out_path = [Path(p) for p in inputs["photo"]], Path(out_dir) / "arcface.npy"
    progress, models_root = ctx.progress, ctx.models_root
    vector = arcface_identity(photos, models_root)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "wb") as fh:  # a file object: np.save would append .npy to other names
        np.save(fh, vector, allow_pickle=False)
    progress(len(photos), len(photos))
    meta = {"space": MODEL_ID, "dim": int(vector.size), "photos": [str(p) for p in photos]}
    return StageResult(
        outputs={"embedding": Output(path=out_path, kind="embedding", meta=meta)},
        metrics={"arcface_photos": float(len(photos))},
    )
