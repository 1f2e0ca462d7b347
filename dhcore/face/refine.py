"""Stage face.refine: give the reference identity back to frames whose face drifted from it.

Every frame's tracked face is measured against the reference. Where the distance is above the
threshold the face is refined (landmark_swap or inswapper), optionally restored afterwards,
and measured again on the output, so the report has per-frame distance before and after and
both pass rates (face_match_rate_raw before, face_match_rate after), and the realism figure of
every refined frame (dhcore.face.realism; face_realism_median / face_realism_min).

To avoid flicker where the distance hovers at the threshold, refinement switches on at once
for a frame above the threshold, stays on while the distance is within 10 % below it, and
fades out over 0.3 s once the face is clearly itself again. Frames without the face, and all
other faces, pass through untouched. Given the target pose (optional), a lost face is searched
where the pose puts it (track.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from dhcore.face import realism
from dhcore.face.backends import ANALYZERS, ARCFACE, REFINERS
from dhcore.face.faces import FaceAnalyzer, cosine_similarity, load_analyzer
from dhcore.face.params import RefineParams, RefineStageParams
from dhcore.face.reference import ReferenceFace, reference_face
from dhcore.face.report import FrameIdentity, frames_meta, series, summarize, write_report
from dhcore.face.restorers import Restorer, load_restorer
from dhcore.face.swap import LandmarkSwapper, SwapResult
from dhcore.face.track import FaceTracker, TrackedFace, load_heads
from dhcore.face.weights import stage_weights_sha256
from dhcore.media.frames import FRAMES_SUFFIX, FrameWriter, iter_frames, probe
from dhcore.models import ids
from dhcore.stage import InputValue, Output, StageContext, StageDef, StageResult, port

NAME = "face.refine"
VERSION = "5"
REPORT_NAME = "face_refine.json"
HOLD_MARGIN = 0.1  # keep refining while distance > threshold * (1 - HOLD_MARGIN)
RELEASE_SECONDS = 0.3

INSWAPPER_ID, INSWAPPER_FILE = ids.INSWAPPER, "inswapper_128.onnx"
ARCFACE_ID, ARCFACE_FILE = ids.BUFFALO_L, "w600k_r50.onnx"


class Refiner(Protocol):
    """A refinement backend (dhcore.face.backends.REFINERS): the reference face onto a tracked one."""

    def __call__(self, frame: np.ndarray, tracked: TrackedFace, weight: float) -> SwapResult: ...


class LandmarkRefiner:
    def __init__(self, swapper: LandmarkSwapper) -> None:
        self.swapper = swapper

    @classmethod
    def open(
        cls, params: RefineParams, ref: ReferenceFace, analyzer: FaceAnalyzer, models_root: Path | None
    ) -> LandmarkRefiner:
        return cls(LandmarkSwapper(ref, params.reference_shape, params.blend))

    def __call__(self, frame: np.ndarray, tracked: TrackedFace, weight: float) -> SwapResult:
        assert tracked.landmarks is not None
        return self.swapper(frame, tracked.landmarks, weight)


class InswapperRefiner:
    def __init__(self, swapper: Any) -> None:
        self.swapper = swapper

    @classmethod
    def open(
        cls, params: RefineParams, ref: ReferenceFace, analyzer: FaceAnalyzer, models_root: Path | None
    ) -> InswapperRefiner:
        from dhcore.face.inswapper import InSwapper
        from dhcore.models import registry

        if ARCFACE in ANALYZERS[analyzer.backend].capabilities:
            source = ref.embedding
        else:  # inswapper's source latent is an ArcFace embedding, whatever measures identity
            from dhcore.face.insightface_backend import ArcFaceEmbedder

            arcface = ArcFaceEmbedder(registry.resolve(ARCFACE_ID, models_root) / ARCFACE_FILE)
            source = arcface(ref.image, ref.face.kps)
        return cls(InSwapper(registry.resolve(INSWAPPER_ID, models_root) / INSWAPPER_FILE, source))

    def __call__(self, frame: np.ndarray, tracked: TrackedFace, weight: float) -> SwapResult:
        return self.swapper(frame, tracked.kps, weight)  # type: ignore[no-any-return]


def next_weight(weight: float, distance: float, threshold: float, release: float) -> float:
    """Refinement strength for this frame: on at once above the threshold, held while the
    distance stays within HOLD_MARGIN below it, then faded out by `release` per frame."""
    if distance > threshold:
        return 1.0
    if distance <= threshold * (1 - HOLD_MARGIN):
        return max(0.0, weight - release)
    return weight


STAGE = StageDef(
    NAME,
    VERSION,
    RefineStageParams,
    inputs=(
        port("frames", "frames"),
        port("reference", "image"),
        port("pose", "pose", optional=True),
        port("reference_pose", "pose", optional=True),
    ),
    outputs=(port("frames", "frames"), port("report", "json")),
    impl="dhcore.face.refine:run",
    weights=lambda p, root: stage_weights_sha256(
        NAME, p.identity, restore=p.restore, refine=p.refine, models_root=root
    ),
)


def run(
    inputs: dict[str, InputValue], stage_params: RefineStageParams, out_dir: Path, ctx: StageContext
) -> StageResult:
    frames, reference = Path(inputs["frames"]), Path(inputs["reference"])
    params, identity, restore = stage_params.refine, stage_params.identity, stage_params.restore
    progress, models_root = ctx.progress, ctx.models_root
    analyzer = load_analyzer(identity.backend, models_root, ctx.pool)
    ref = reference_face(reference, analyzer, pose=inputs.get("reference_pose"))  # type: ignore[arg-type]
    threshold = params.threshold if params.threshold is not None else identity.distance_threshold()
    refiner: Refiner | None = None
    if params.backend != "none":
        refiner = REFINERS[params.backend].load().open(params, ref, analyzer, models_root)
    restorer = load_restorer(restore, ref, models_root, ctx.pool) if params.restore_after else None
    info = probe(frames)
    fps = float(info.fps) or 25.0
    needs_landmarks = params.backend == "landmark_swap" or restore.backend == "classical"
    tracker = FaceTracker(
        analyzer, ref.embedding, fps, identity.tracking, landmarks=needs_landmarks,
        match_threshold=identity.distance_threshold(),
        heads=load_heads(inputs.get("pose"), info.width, info.height),
    )  # fmt: skip
    release = 1.0 / max(1.0, RELEASE_SECONDS * fps)
    out_dir.mkdir(parents=True, exist_ok=True)
    out_path = out_dir / f"frames{FRAMES_SUFFIX}"
    raw: list[FrameIdentity] = []
    after: list[FrameIdentity] = []
    weight, track_id, index = 0.0, -1, 0
    with FrameWriter(out_path, info.fps, info.width, info.height) as writer:
        for chunk in iter_frames(frames):
            out = chunk.copy()
            for i, frame in enumerate(chunk):
                before_rec, after_rec = FrameIdentity(index=index), FrameIdentity(index=index)
                tracked = tracker.update(frame, index)
                if tracked is None:
                    weight = 0.0
                else:
                    if tracked.track_id != track_id:
                        weight, track_id = 0.0, tracked.track_id
                    d0 = tracker.measure(frame, tracked)
                    _fill(before_rec, tracked.box, d0, tracked.embedding, ref.embedding, threshold)
                    weight = next_weight(weight, d0, threshold, release)
                    if refiner is not None and weight > 0:
                        out[i], distortion = _refine(refiner, restorer, frame, tracked, weight)
                        after_rec.extra["refined"] = round(weight, 3)
                        if (figure := realism.measure(frame, out[i], distortion)) is not None:
                            after_rec.extra["realism"] = round(figure.realism, 4)
                        _measure_after(
                            analyzer, tracker, out[i], tracked, ref.embedding, threshold, after_rec
                        )
                    else:
                        _fill(after_rec, tracked.box, d0, tracked.embedding, ref.embedding, threshold)
                raw.append(before_rec)
                after_rec.extra.update(distance_raw=before_rec.distance, similarity_raw=before_rec.similarity)
                after.append(after_rec)
                index += 1
            writer.write(out)
            progress(index, info.frames or None)
    metrics = summarize(after, threshold)
    metrics.update({k + "_raw": v for k, v in summarize(raw, threshold).items()})
    refined = sum(1 for r in after if r.extra.get("refined"))
    metrics["face_refined_frames"] = float(refined)
    metrics["face_refined_rate"] = refined / index if index else 0.0
    scores = [float(r.extra["realism"]) for r in after if "realism" in r.extra]  # type: ignore[arg-type]
    if scores:
        metrics["face_realism_median"] = float(np.median(scores))
        metrics["face_realism_min"] = min(scores)
    header = {
        "stage": NAME, "version": VERSION, "backend": params.backend, "identity_backend": identity.backend,
        "threshold": threshold, "restore_after": restore.backend if restorer is not None else "none",
        "reference": str(reference), "metrics": metrics,
    }  # fmt: skip
    report = write_report(out_dir / REPORT_NAME, header, after)
    return StageResult(
        outputs={
            "frames": Output(path=out_path, kind="frames", meta=frames_meta(info, index)),
            "report": Output(path=report, kind="json", meta={"backend": params.backend}),
        },
        metrics=metrics,
        series=series(after)
        | {k + "_raw": v for k, v in series(raw).items()}
        | {"face_refined": [float(r.extra.get("refined", 0.0)) for r in after]},  # type: ignore[misc]
        frames=index,
    )


def _fill(
    rec: FrameIdentity, box: np.ndarray, distance: float, embedding: np.ndarray | None,
    reference: np.ndarray, threshold: float,
) -> None:  # fmt: skip
    rec.face = True
    rec.box = [float(v) for v in box]
    rec.distance = float(distance)
    rec.similarity = cosine_similarity(embedding, reference) if embedding is not None else None
    rec.match = rec.distance <= threshold


def _refine(
    refiner: Refiner, restorer: Restorer | None, frame: np.ndarray, tracked: TrackedFace, weight: float
) -> tuple[np.ndarray, float]:
    """The refined frame and the swap's warp distortion."""
    result = refiner(frame, tracked, weight)
    image = result.image
    if restorer is not None:
        image = restorer(image, tracked.kps, tracked.landmarks)
    return image, result.distortion


def _measure_after(
    analyzer: FaceAnalyzer, tracker: FaceTracker, image: np.ndarray, tracked: TrackedFace,
    reference: np.ndarray, threshold: float, rec: FrameIdentity,
) -> None:  # fmt: skip
    """Measure the face on the refined frame: re-fitted on the same box where the backend can
    (dlib: its 5-point model), else re-detected; no face found counts as a miss."""
    refit = getattr(analyzer, "refit", None)
    face = refit(image, tracked.face) if refit is not None else tracker.redetect(image, tracked.face)
    if face is None:
        return
    emb = analyzer.embed(image, face)
    _fill(rec, face.box, analyzer.distance(emb, reference), emb, reference, threshold)
