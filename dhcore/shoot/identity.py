"""Stage shoot.identity: one identity embedding from a few photos of the person.

Each photo's main face (`shoot.faces.main_face`: largest, favouring the centre) is detected and embedded with the chosen face backend, then
quality-filtered (face size, sharpness, detector score, frontal-ness). The identity is the
mean direction of the used photos' L2-normalised embeddings, scaled to their mean length: the
direction is what a mean of unit vectors gives, and keeping the length keeps the backend's
distance calibration (dlib descriptors are ~1.4 long, its 0.6 threshold is for raw
descriptors; ArcFace embeddings are unit length anyway).

A photo of someone else is found leave-one-out: a used photo whose distance to the mean of
the others is over the same-person threshold is set aside (the worst first, then again), so
one intruder among several photos cannot drag the mean. With two photos that disagree the
later one is reported: photo 0 defines the person. The same analysis backs
`identity_problems`, which the spec validator turns into errors naming `identity.photos.N`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from dhcore.errors import DhError, InputError
from dhcore.face.faces import cosine_similarity
from dhcore.face.reference import pick_face
from dhcore.shoot.faces import (
    default_threshold,
    face_weights_sha256,
    find_faces,
    frontalness,
    shared_analyzer,
    sharpness,
)
from dhcore.stage import (
    InputValue,
    Output,
    Progress,
    StageContext,
    StageDef,
    StageParams,
    StageResult,
    no_progress,
    port,
)

NAME = "shoot.identity"
VERSION = "1"
EMBEDDING_NAME = "identity.npy"
REPORT_NAME = "identity.json"

FaceBackend = Literal["dlib", "insightface"]
#: detector scores differ per backend: dlib's HOG margin (>= 0; Grace Hopper ~1.5, a half-profile
#: in t1.jpg 0.2), SCRFD's probability (0-1)
DEFAULT_MIN_SCORE = {"dlib": 0.3, "insightface": 0.6}

Status = Literal["used", "filtered", "no_face", "unreadable", "different_person"]


class Params(StageParams):
    backend: FaceBackend = Field(
        "dlib", description="face detector + embedder (the spec's identity.face_backend)"
    )
    threshold: float | None = Field(
        None, gt=0, le=2, description="same-person distance; default per backend (dlib 0.6, insightface 0.6)"
    )
    min_face_px: float = Field(64, ge=16, description="smallest usable face (sqrt of the box area, pixels)")
    min_sharpness: float = Field(
        30, ge=0, description="smallest Laplacian variance of the face at 128 px (blurry photos are ~20)"
    )
    min_score: float | None = Field(
        None, ge=0, description="smallest detector score; default per backend (dlib 0.3, insightface 0.6)"
    )
    min_frontal: float = Field(
        0.3, ge=0, le=1, description="smallest frontal-ness (1 frontal, 0 profile: nose between the eyes)"
    )
    face: int | None = Field(
        None,
        ge=0,
        description="in group photos: which face, counted left to right from 0 (default: the main one)",
    )

    def distance_threshold(self) -> float:
        return self.threshold if self.threshold is not None else default_threshold(self.backend)

    def score_floor(self) -> float:
        return self.min_score if self.min_score is not None else DEFAULT_MIN_SCORE[self.backend]


@dataclass
class PhotoReport:
    index: int
    path: Path
    status: Status = "no_face"
    reasons: list[str] = field(default_factory=list)
    faces: int = 0
    box: list[float] | None = None  # original-image pixels
    face_px: float | None = None
    score: float | None = None
    sharpness: float | None = None
    frontal: float | None = None
    distance_to_mean: float | None = None
    similarity_to_mean: float | None = None
    distance_to_others: float | None = None  # leave-one-out, when other photos were used
    embedding: np.ndarray | None = None

    def as_json(self) -> dict[str, object]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(float(v), 4)

        return {
            "index": self.index, "path": str(self.path), "status": self.status, "reasons": self.reasons,
            "faces": self.faces, "box": self.box, "face_px": r(self.face_px), "score": r(self.score),
            "sharpness": r(self.sharpness), "frontal": r(self.frontal),
            "distance_to_mean": r(self.distance_to_mean), "similarity_to_mean": r(self.similarity_to_mean),
            "distance_to_others": r(self.distance_to_others),
        }  # fmt: skip


@dataclass
class IdentityAnalysis:
    photos: list[PhotoReport]
    embedding: np.ndarray | None  # None when no photo was usable
    backend: str
    threshold: float

    @property
    def used(self) -> list[PhotoReport]:
        return [p for p in self.photos if p.status == "used"]


Distance = Callable[[np.ndarray, np.ndarray], float]


def mean_embedding(embeddings: Sequence[np.ndarray]) -> np.ndarray:
    """Mean direction of the L2-normalised embeddings, at their mean length (float32)."""
    stack = np.stack([np.asarray(e, np.float64).ravel() for e in embeddings])
    norms = np.linalg.norm(stack, axis=1)
    if (norms < 1e-12).any():
        raise ValueError("an embedding has zero length")
    direction = (stack / norms[:, None]).mean(0)
    direction /= max(1e-12, float(np.linalg.norm(direction)))
    return (direction * norms.mean()).astype(np.float32)


def find_outliers(embeddings: Sequence[np.ndarray], distance: Distance, threshold: float) -> dict[int, float]:
    """Indices of embeddings of another person -> their distance to the mean of the rest.

    Leave-one-out: while some embedding's distance to the mean of the others still kept is over
    the threshold, the worst one (ties: the later one) is set aside. Needs two or more kept.
    """
    kept = list(range(len(embeddings)))
    out: dict[int, float] = {}
    while len(kept) >= 2:
        loo = {
            i: distance(embeddings[i], mean_embedding([embeddings[j] for j in kept if j != i])) for i in kept
        }
        worst = max(kept, key=lambda i: (loo[i], i))
        if loo[worst] <= threshold:
            break
        out[worst] = loo[worst]
        kept.remove(worst)
    return out


def _measure(report: PhotoReport, analyzer: object, params: Params) -> None:
    try:
        found = find_faces(report.path, analyzer)  # type: ignore[arg-type]
    except DhError as exc:
        report.status = "unreadable"
        report.reasons.append(str(exc).removeprefix(f"{report.path}: "))
        return
    report.faces = len(found.faces)
    if not found.faces:
        report.reasons.append(f"no face found (face backend {params.backend})")
        return
    face = found.main() if params.face is None else pick_face(found.faces, params.face)
    if face is None:
        report.reasons.append(
            f"no face {params.face} (it shows {len(found.faces)}, counted left to right from 0)"
        )
        return
    report.box = [round(float(v) / found.scale, 1) for v in face.box]
    report.face_px = face.size / found.scale
    report.score = face.score
    report.sharpness = sharpness(found.image, face)
    report.frontal = frontalness(face.kps)
    report.embedding = analyzer.embed(found.image, face)  # type: ignore[attr-defined]
    report.reasons = _quality_reasons(report, params)
    report.status = "filtered" if report.reasons else "used"
    if report.faces > 1 and params.face is None:
        report.reasons.append(f"{report.faces} faces in the photo; the main one (largest, central) is used")


def _quality_reasons(p: PhotoReport, params: Params) -> list[str]:
    reasons = []
    if p.face_px is not None and p.face_px < params.min_face_px:
        reasons.append(f"face too small ({p.face_px:.0f} px < {params.min_face_px:.0f})")
    if p.sharpness is not None and p.sharpness < params.min_sharpness:
        reasons.append(f"face too blurry (sharpness {p.sharpness:.1f} < {params.min_sharpness:.1f})")
    if p.score is not None and p.score < params.score_floor():
        reasons.append(f"uncertain detection (score {p.score:.2f} < {params.score_floor():.2f})")
    if p.frontal is not None and p.frontal < params.min_frontal:
        reasons.append(f"face turned away (frontal {p.frontal:.2f} < {params.min_frontal:.2f})")
    return reasons


def analyse(
    photos: Sequence[Path], params: Params, progress: Progress = no_progress, models_root: Path | None = None
) -> IdentityAnalysis:
    """Detect, measure, filter and embed every photo; the identity of the used ones."""
    analyzer = shared_analyzer(params.backend, models_root)
    threshold = params.distance_threshold()
    reports = [PhotoReport(index=i, path=Path(p)) for i, p in enumerate(photos)]
    for i, report in enumerate(reports):
        _measure(report, analyzer, params)
        progress(i + 1, len(reports))
    used = [p for p in reports if p.status == "used"]
    outliers = find_outliers([p.embedding for p in used], analyzer.distance, threshold)  # type: ignore[misc]
    for k, dist in outliers.items():
        others = [str(p.index) for j, p in enumerate(used) if j != k and j not in outliers]
        used[k].status = "different_person"
        used[k].reasons.append(
            f"a different person: distance {dist:.3f} to the mean of photo(s) {', '.join(others)} "
            f"is over the same-person threshold {threshold:.2f} ({params.backend})"
        )
    used = [p for p in used if p.status == "used"]
    embedding = mean_embedding([p.embedding for p in used]) if used else None  # type: ignore[misc]
    if embedding is not None:
        for p in reports:
            if p.embedding is not None:
                p.distance_to_mean = analyzer.distance(p.embedding, embedding)
                p.similarity_to_mean = cosine_similarity(p.embedding, embedding)
        if len(used) > 1:
            for p in used:
                rest = mean_embedding([q.embedding for q in used if q is not p])  # type: ignore[misc]
                p.distance_to_others = analyzer.distance(p.embedding, rest)
    return IdentityAnalysis(reports, embedding, params.backend, threshold)


def problems(analysis: IdentityAnalysis) -> dict[int, str]:
    """Photo index -> why it makes the spec invalid: unreadable, no face, a different person;
    and when no photo is usable at all, every photo with the reason it was filtered."""
    out = {
        p.index: "; ".join(p.reasons)
        for p in analysis.photos
        if p.status in ("unreadable", "no_face", "different_person")
    }
    if not analysis.used:
        for p in analysis.photos:
            if p.status == "filtered":
                out[p.index] = "no usable identity photo: " + "; ".join(p.reasons)
    return out


def identity_problems(
    photos: Sequence[Path],
    backend: str = "dlib",
    models_root: Path | None = None,
    params: Params | None = None,
    face: int | None = None,
) -> dict[int, str]:
    """For the spec validator: photo index -> problem (errors at `identity.photos.N`); {} when fine."""
    params = params or Params(backend=backend, face=face)  # type: ignore[arg-type]
    return problems(analyse(photos, params, models_root=models_root))


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("photo", "image", many=True),),
    outputs=(port("embedding", "embedding"), port("report", "json")),
    impl="dhcore.shoot.identity:run",
    weights=lambda p, root: face_weights_sha256(p.backend, root),
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """identity.npy (the identity embedding) and identity.json (per photo: used or why not)."""
    photos, progress, models_root = [Path(p) for p in inputs["photo"]], ctx.progress, ctx.models_root
    if not photos:
        raise InputError("the identity needs at least one photo")
    analysis = analyse(photos, params, progress, models_root)
    if analysis.embedding is None:
        detail = "; ".join(f"photo {p.index} ({p.path}): {'; '.join(p.reasons)}" for p in analysis.photos)
        raise InputError(f"no usable identity photo: {detail}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.save(out_dir / EMBEDDING_NAME, analysis.embedding, allow_pickle=False)
    used = analysis.used
    best = max(used, key=lambda p: (p.face_px or 0.0) * min(1.0, (p.sharpness or 0.0) / 200.0))
    meta = {
        "backend": params.backend, "dim": int(analysis.embedding.size), "threshold": analysis.threshold,
        "distance": "euclidean" if params.backend == "dlib" else "cosine (1 - cos)",
        "used": [p.index for p in used], "used_paths": [str(p.path) for p in used], "best": best.index,
    }  # fmt: skip
    report = {"stage": NAME, "version": VERSION, **meta, "photos": [p.as_json() for p in analysis.photos]}
    report_path = out_dir / REPORT_NAME
    report_path.write_text(json.dumps(report, indent=2))
    warnings = [
        f"identity photo {p.index} ({p.path}) not used: {'; '.join(p.reasons)}"
        for p in analysis.photos
        if p.status != "used"
    ]
    dists = [p.distance_to_mean for p in used if p.distance_to_mean is not None]
    metrics = {
        "identity_photos": float(len(analysis.photos)),
        "identity_photos_used": float(len(used)),
        "identity_embedding_dim": float(analysis.embedding.size),
        "identity_spread_max": float(max(dists)) if dists else 0.0,
    }
    return StageResult(
        outputs={
            "embedding": Output(path=out_dir / EMBEDDING_NAME, kind="embedding", meta=meta),
            "report": Output(path=report_path, kind="json", meta={"backend": params.backend}),
        },
        metrics=metrics,
        warnings=warnings,
    )
