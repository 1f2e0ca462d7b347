"""Stage face.restore: restore the reference person's face on every frame where it appears.

The face is tracked (smoothed key points and landmarks) and restored by the configured
backend (restorers.py); frames without it, and every other face, pass through untouched.
Given the target pose (optional), a lost face is searched where the pose puts it (track.py).
Every `identity.stride`-th restored frame is measured before and after, so the report shows
that restoration did not cost identity.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dhcore.face.faces import FaceAnalyzer, cosine_similarity, load_analyzer
from dhcore.face.params import RestoreStageParams
from dhcore.face.reference import reference_face
from dhcore.face.report import FrameIdentity, frames_meta, write_report
from dhcore.face.restorers import load_restorer
from dhcore.face.track import FaceTracker, TrackedFace, load_heads
from dhcore.face.weights import stage_weights_sha256
from dhcore.media.frames import FRAMES_SUFFIX, FrameWriter, iter_frames, probe
from dhcore.stage import InputValue, Output, StageContext, StageDef, StageResult, port

NAME = "face.restore"
VERSION = "6"
REPORT_NAME = "face_restore.json"


STAGE = StageDef(
    NAME,
    VERSION,
    RestoreStageParams,
    inputs=(
        port("frames", "frames"),
        port("reference", "image"),
        port("pose", "pose", optional=True),
        port("reference_pose", "pose", optional=True),
    ),
    outputs=(port("frames", "frames"), port("report", "json")),
    impl="dhcore.face.restore:run",
    weights=lambda p, root: stage_weights_sha256(NAME, p.identity, restore=p.restore, models_root=root),
)


def run(
    inputs: dict[str, InputValue], stage_params: RestoreStageParams, out_dir: Path, ctx: StageContext
) -> StageResult:
    frames, reference = Path(inputs["frames"]), Path(inputs["reference"])
    params, identity = stage_params.restore, stage_params.identity
    progress, models_root = ctx.progress, ctx.models_root
    analyzer = load_analyzer(identity.backend, models_root, ctx.pool)
    ref = reference_face(reference, analyzer, pose=inputs.get("reference_pose"))  # type: ignore[arg-type]
    restorer = load_restorer(params, ref, models_root, ctx.pool)
    info = probe(frames)
    tracker = FaceTracker(
        analyzer, ref.embedding, float(info.fps), identity.tracking, landmarks=True,
        match_threshold=identity.distance_threshold(),
        heads=load_heads(inputs.get("pose"), info.width, info.height),
    )  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    out_path = out_dir / f"frames{FRAMES_SUFFIX}"
    records: list[FrameIdentity] = []
    restored = 0
    index = 0
    with FrameWriter(out_path, info.fps, info.width, info.height) as writer:
        for chunk in iter_frames(frames):
            out = chunk.copy()
            for i, frame in enumerate(chunk):
                rec = FrameIdentity(index=index)
                tracked = tracker.update(frame, index) if restorer is not None else None
                if tracked is not None and restorer is not None:
                    rec.face = True
                    rec.box = [float(v) for v in tracked.box]
                    out[i] = restorer(frame, tracked.kps, tracked.landmarks)
                    restored += 1
                    if index % params.measure_every == 0:
                        _measure(analyzer, tracker, frame, out[i], tracked, ref.embedding, rec)
                records.append(rec)
                index += 1
            writer.write(out)
            progress(index, info.frames or None)
    before = [r.extra["distance_before"] for r in records if "distance_before" in r.extra]
    after = [r.distance for r in records if r.distance is not None]
    metrics = {"face_restored_rate": restored / index if index else 0.0}
    if before and after:
        metrics["face_restore_distance_before"] = float(sum(before) / len(before))
        metrics["face_restore_distance_after"] = float(sum(after) / len(after))
    header = {
        "stage": NAME, "version": VERSION, "backend": params.backend, "identity_backend": identity.backend,
        "strength": params.strength, "metrics": metrics,
    }  # fmt: skip
    report = write_report(out_dir / REPORT_NAME, header, records)
    return StageResult(
        outputs={
            "frames": Output(path=out_path, kind="frames", meta=frames_meta(info, index)),
            "report": Output(path=report, kind="json", meta={"backend": params.backend}),
        },
        metrics=metrics,
        series={
            "face_restore_distance_before": [r.extra.get("distance_before") for r in records],  # type: ignore[misc]
            "face_restore_distance_after": [r.distance for r in records],
        },
        frames=index,
    )


def _measure(
    analyzer: FaceAnalyzer, tracker: FaceTracker, frame: np.ndarray, restored: np.ndarray,
    tracked: TrackedFace, reference: np.ndarray, rec: FrameIdentity,
) -> None:  # fmt: skip
    """Distance before (the tracked face) and after (the same face re-embedded on the output)."""
    rec.extra["distance_before"] = tracker.measure(frame, tracked)
    emb = analyzer.embed(restored, tracked.face)
    rec.distance = analyzer.distance(emb, reference)
    rec.similarity = cosine_similarity(emb, reference)
