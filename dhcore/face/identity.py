"""Stage face.identity: how much every frame's face looks like the reference person.

The reference person's face is tracked on every frame (see track.py) and embedded on every
`stride`-th frame; the report gives per-frame distance and cosine similarity, and
face_match_rate = share of measured frames with a face whose distance is within the backend's
same-person threshold. Frames without a face count in the detection rate only.
"""

from __future__ import annotations

from pathlib import Path

from dhcore.face.faces import cosine_similarity, load_analyzer
from dhcore.face.params import IdentityParams
from dhcore.face.reference import reference_face
from dhcore.face.report import FrameIdentity, series, summarize, write_report
from dhcore.face.track import FaceTracker
from dhcore.face.weights import stage_weights_sha256
from dhcore.media.frames import iter_frames, probe
from dhcore.stage import InputValue, Output, StageContext, StageDef, StageResult, port

NAME = "face.identity"
VERSION = "4"
REPORT_NAME = "face_identity.json"


STAGE = StageDef(
    NAME,
    VERSION,
    IdentityParams,
    inputs=(
        port("frames", "frames"),
        port("reference", "image"),
        port("reference_pose", "pose", optional=True),
    ),
    outputs=(port("report", "json"),),
    impl="dhcore.face.identity:run",
    weights=lambda p, root: stage_weights_sha256(NAME, p, models_root=root),
)


def run(
    inputs: dict[str, InputValue], params: IdentityParams, out_dir: Path, ctx: StageContext
) -> StageResult:
    frames, reference = Path(inputs["frames"]), Path(inputs["reference"])
    progress, models_root = ctx.progress, ctx.models_root
    analyzer = load_analyzer(params.backend, models_root, ctx.pool)
    ref = reference_face(reference, analyzer, pose=inputs.get("reference_pose"))  # type: ignore[arg-type]
    info = probe(frames)
    threshold = params.distance_threshold()
    tracker = FaceTracker(
        analyzer, ref.embedding, float(info.fps), params.tracking, match_threshold=threshold
    )
    records: list[FrameIdentity] = []
    index = 0
    for chunk in iter_frames(frames):
        for frame in chunk:
            rec = FrameIdentity(index=index)
            tracked = tracker.update(frame, index)
            if tracked is not None:
                rec.face = True
                rec.box = [float(v) for v in tracked.face.box]
                if index % params.stride == 0 or tracked.embedding is not None:
                    rec.distance = tracker.measure(frame, tracked)
                    rec.similarity = cosine_similarity(tracked.embedding, ref.embedding)
                    rec.match = rec.distance <= threshold
            records.append(rec)
            index += 1
        progress(index, info.frames or None)
    metrics = summarize(records, threshold)
    warnings = []
    if not any(r.face for r in records):
        warnings.append(f"{frames}: no frame shows a face; face_match_rate is 0")
    out_dir.mkdir(parents=True, exist_ok=True)
    header = {
        "stage": NAME, "version": VERSION, "backend": params.backend, "threshold": threshold,
        "distance": "euclidean" if params.backend != "insightface" else "cosine (1 - cos)",
        "stride": params.stride, "reference": str(reference), "metrics": metrics,
    }  # fmt: skip
    report = write_report(out_dir / REPORT_NAME, header, records)
    return StageResult(
        outputs={"report": Output(path=report, kind="json", meta={"backend": params.backend})},
        metrics=metrics,
        series=series(records),
        frames=index,
        warnings=warnings,
    )
