"""Stage shoot.score: how much one image's face looks like the identity, and how good it is.

The face measured is the one a backend replaces (`faces.main_face`: largest, favouring the
centre), found with the identity's face backend. Distance and threshold are the backend's own
(dlib: Euclidean between 128-d descriptors; insightface: cosine distance of ArcFace); the
image passes when the distance is within the threshold. `quality` (0-1: face size and
sharpness) only breaks ties in selection. Run on a template's original photo, the same check
must fail: that is how the report shows the identity check is not vacuous.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from pydantic import Field

from dhcore.errors import InputError
from dhcore.face.faces import FaceAnalyzer, cosine_similarity
from dhcore.shoot.faces import (
    default_threshold,
    face_weights_sha256,
    find_faces,
    quality,
    shared_analyzer,
    sharpness,
)
from dhcore.shoot.identity import FaceBackend
from dhcore.stage import (
    InputValue,
    Output,
    StageContext,
    StageDef,
    StageParams,
    StageResult,
    port,
)

NAME = "shoot.score"
VERSION = "1"


class Params(StageParams):
    backend: FaceBackend = Field("dlib", description="must be the backend that made the identity embedding")
    threshold: float | None = Field(
        None, gt=0, le=2, description="same-person distance; default per backend (dlib 0.6, insightface 0.6)"
    )

    def distance_threshold(self) -> float:
        return self.threshold if self.threshold is not None else default_threshold(self.backend)


@dataclass
class ImageScore:
    face: bool
    distance: float | None
    similarity: float | None
    passed: bool
    quality: float
    face_px: float | None
    sharpness: float | None
    faces: int
    box: list[float] | None  # original-image pixels
    threshold: float
    backend: str


def load_identity(path: Path, analyzer: FaceAnalyzer) -> np.ndarray:
    """The identity embedding (.npy); InputError when unreadable or from another face backend."""
    try:
        vector = np.asarray(np.load(Path(path), allow_pickle=False), np.float32).ravel()
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the identity embedding ({exc})") from None
    if vector.size != analyzer.embedding_size:
        raise InputError(
            f"{path}: the identity embedding has {vector.size} values but face backend {analyzer.backend} "
            f"embeds {analyzer.embedding_size}; score with the backend the identity was made with"
        )
    return vector


def score_image(path: Path, identity: np.ndarray, analyzer: FaceAnalyzer, threshold: float) -> ImageScore:
    """Score one image file against the identity embedding (no face: fails, distance None)."""
    found = find_faces(Path(path), analyzer)
    face = found.main()
    if face is None:
        return ImageScore(False, None, None, False, 0.0, None, None, 0, None, threshold, analyzer.backend)
    embedding = analyzer.embed(found.image, face)
    distance = analyzer.distance(embedding, identity)
    return ImageScore(
        face=True, distance=distance, similarity=cosine_similarity(embedding, identity),
        passed=distance <= threshold, quality=quality(found.image, face), face_px=face.size / found.scale,
        sharpness=sharpness(found.image, face), faces=len(found.faces),
        box=[round(float(v) / found.scale, 1) for v in face.box], threshold=threshold, backend=analyzer.backend,
    )  # fmt: skip


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("image", "image"), port("embedding", "embedding")),
    outputs=(port("score", "json"),),
    impl="dhcore.shoot.score:run",
    weights=lambda p, root: face_weights_sha256(p.backend, root),
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Score the image against the identity embedding (.npy from shoot.identity); writes the score as JSON."""
    image, identity, out_path = Path(inputs["image"]), Path(inputs["embedding"]), Path(out_dir) / "score.json"
    progress, models_root = ctx.progress, ctx.models_root
    analyzer = shared_analyzer(params.backend, models_root, ctx.pool)
    result = score_image(
        Path(image), load_identity(Path(identity), analyzer), analyzer, params.distance_threshold()
    )
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    record = {"stage": NAME, "version": VERSION, "image": str(image), **asdict(result)}
    out_path.write_text(json.dumps(record, indent=2))
    progress(1, 1)
    metrics = {
        "face_found": float(result.face),
        "identity_pass": float(result.passed),
        "identity_threshold": result.threshold,
        "quality": round(result.quality, 6),
    }
    if result.distance is not None and result.similarity is not None:
        metrics["identity_distance"] = round(result.distance, 6)
        metrics["identity_similarity"] = round(result.similarity, 6)
    warnings = [] if result.face else [f"{image}: no face found (face backend {params.backend}); it fails"]
    return StageResult(
        outputs={"score": Output(path=out_path, kind="json", meta=asdict(result))},
        metrics=metrics,
        warnings=warnings,
    )
