"""Stage faceswap.video: the identity's face on one person of a target video, every frame.

The person replaced is followed by the face tracker (dhcore.face.track: search window, identity
check, One-Euro smoothing of box and landmarks, so the swapped face does not jitter); which
person: the one matching `target_reference` (a photo of them), else face `target_face` counted
left to right in the first frame showing faces, else the largest there. Each frame goes through
the swap engine (dhcore.face.swap: pose-aware mesh warp, inner mouth kept, tone and shading
matched, multiband blend); other faces and frames without the person pass through untouched.

Figures: identity distance per frame to the identity (mean of the photos' embeddings, measured
on the output), the realism figure per frame (dhcore.face.realism), landmark jitter (mean second
difference of the landmarks as used, in inter-ocular distances; `jitter_raw` on the raw
detections), and the share of target frames swapped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from dhcore.errors import InputError
from dhcore.face import realism
from dhcore.face.faces import load_analyzer
from dhcore.face.params import DEFAULT_THRESHOLDS, TrackingParams
from dhcore.face.reference import detect_faces, pick_face, reference_face
from dhcore.face.swap import LandmarkSwapper
from dhcore.face.track import FaceTracker
from dhcore.media.frames import FRAMES_SUFFIX, FrameWriter, iter_frames, probe
from dhcore.stage import InputValue, Output, StageContext, StageDef, StageParams, StageResult, port

NAME = "faceswap.video"
VERSION = "1"


class Params(StageParams):
    face_backend: Literal["dlib", "mediapipe"] = "dlib"
    identity_face: int | None = Field(None, ge=0, description="face of the identity photos, left to right")
    target_face: int | None = Field(None, ge=0, description="person to replace, left to right in frame one")
    reference_shape: float = Field(
        0.5, ge=0, le=1, description="0: the target's face shape, 1: the identity's"
    )
    blend: Literal["multiband", "seamless", "feather"] = "multiband"
    shading: float = Field(
        0.3, ge=0, le=1, description="how much of the target's light falls on the new face"
    )
    tracking: TrackingParams = TrackingParams(smooth_min_cutoff=0.5, smooth_beta=2.0)  # the spec's default
    threshold: float | None = Field(None, gt=0, le=2, description="same-person distance; default per backend")

    def distance_threshold(self) -> float:
        return self.threshold if self.threshold is not None else DEFAULT_THRESHOLDS[self.face_backend]


def _weights(params: Params, root: Path | None) -> str:
    from dhcore.shoot.faces import face_weights_sha256

    return face_weights_sha256(params.face_backend, root)


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("photo", "image", many=True), port("video", "video"),
            port("target_reference", "image", optional=True)),
    outputs=(port("frames", "frames"), port("report", "json")),
    impl="dhcore.faceswap.stage:run",
    weights=_weights,
)  # fmt: skip


def _target_embedding(video: Path, analyzer: object, params: Params, reference: Path | None) -> np.ndarray:
    """The embedding of the person to replace: from their photo, or their face in the first frame with faces."""
    if reference is not None:
        return reference_face(reference, analyzer).embedding  # type: ignore[arg-type]
    for chunk in iter_frames(video):
        for frame in chunk:
            faces = detect_faces(analyzer, np.ascontiguousarray(frame))  # type: ignore[arg-type]
            if faces:
                face = pick_face(faces, params.target_face)
                if face is None:
                    raise InputError(
                        f"{video}: target.face {params.target_face} but the first frame with faces shows "
                        f"{len(faces)} (counted left to right from 0)"
                    )
                return analyzer.embed(np.ascontiguousarray(frame), face)  # type: ignore[attr-defined, no-any-return]
    raise InputError(
        f"{video}: no face in any frame of the target video (face backend {params.face_backend})"
    )


def _jitter(tracks: list[np.ndarray | None]) -> float | None:
    """Mean second difference of consecutive landmark sets, in inter-ocular distances."""
    values = []
    for a, b, c in zip(tracks, tracks[1:], tracks[2:], strict=False):
        if a is None or b is None or c is None:
            continue
        eyes = float(np.linalg.norm(b[36:42].mean(0) - b[42:48].mean(0))) or 1.0
        values.append(float(np.linalg.norm(a - 2 * b + c, axis=1).mean()) / eyes)
    return float(np.mean(values)) if values else None


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    photos = [Path(p) for p in inputs["photo"]]  # type: ignore[union-attr]
    video = Path(inputs["video"])  # type: ignore[arg-type]
    reference = Path(inputs["target_reference"]) if inputs.get("target_reference") else None  # type: ignore[arg-type]
    analyzer = load_analyzer(params.face_backend, ctx.models_root, ctx.pool)
    faces = [reference_face(p, analyzer, params.identity_face) for p in photos]
    identity = np.mean([f.embedding for f in faces], axis=0).astype(np.float32)
    source = max(faces, key=lambda f: f.face.size)  # the sharpest view of the identity is warped
    swapper = LandmarkSwapper(source, params.reference_shape, params.blend, params.shading)
    threshold = params.distance_threshold()
    info = probe(video)
    fps = float(info.fps) or 25.0
    tracker = FaceTracker(
        analyzer, _target_embedding(video, analyzer, params, reference), fps, params.tracking,
        landmarks=True, match_threshold=threshold,
    )  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    out_path = out_dir / f"frames{FRAMES_SUFFIX}"
    records: list[dict[str, object]] = []
    used: list[np.ndarray | None] = []
    raw: list[np.ndarray | None] = []
    index = 0
    with FrameWriter(out_path, info.fps, info.width, info.height) as writer:
        for chunk in iter_frames(video):
            out = chunk.copy()
            for i, frame in enumerate(chunk):
                rec: dict[str, object] = {"index": index, "face": False}
                tracked = tracker.update(frame, index)
                used.append(tracked.landmarks if tracked is not None else None)
                raw.append(analyzer.landmarks68(frame, tracked.face) if tracked is not None else None)
                if tracked is not None and tracked.landmarks is not None:
                    result = swapper(frame, tracked.landmarks)
                    out[i] = result.image
                    rec.update(face=True, box=[round(float(v), 1) for v in tracked.box],
                               mouth_kept=result.mouth_kept)  # fmt: skip
                    rec["distance"] = _distance_after(analyzer, tracker, out[i], tracked, identity)
                    figure = realism.measure(frame, out[i], result.distortion)
                    if figure is not None:
                        rec.update(figure.metrics())
                records.append(rec)
                index += 1
            writer.write(out)
            ctx.progress(index, info.frames or None)
    metrics = _figures(records, threshold, index)
    for name, tracks in (("jitter", used), ("jitter_raw", raw)):
        if (value := _jitter(tracks)) is not None:
            metrics[name] = round(value, 6)
    report = out_dir / "face_swap.json"
    header = {"stage": NAME, "version": VERSION, "threshold": threshold, "metrics": metrics,
              "photos": [str(p) for p in photos], "source_photo": str(source.path)}  # fmt: skip
    report.write_text(json.dumps({**header, "frames": records}, indent=1))
    warnings = []
    if metrics["swap_rate"] < 1.0:
        warnings.append(
            f"{video}: the person to replace was found in {metrics['swap_rate']:.0%} of the frames"
        )
    return StageResult(
        outputs={
            "frames": Output(
                path=out_path,
                kind="frames",
                meta={"width": info.width, "height": info.height, "fps": str(info.fps), "frames": index},
            ),
            "report": Output(path=report, kind="json", meta={"threshold": threshold}),
        },  # fmt: skip
        metrics=metrics,
        series={k: [r.get(k) for r in records] for k in ("distance", "realism")},  # type: ignore[misc]
        frames=index,
        warnings=warnings,
    )


def _distance_after(analyzer: object, tracker: FaceTracker, image: np.ndarray, tracked: object,
                    identity: np.ndarray) -> float | None:  # fmt: skip
    refit = getattr(analyzer, "refit", None)
    face = refit(image, tracked.face) if refit is not None else tracker.redetect(image, tracked.face)  # type: ignore[attr-defined]
    if face is None:
        return None
    return round(float(analyzer.distance(analyzer.embed(image, face), identity)), 6)  # type: ignore[attr-defined]


def _figures(records: list[dict[str, object]], threshold: float, frames: int) -> dict[str, float]:
    swapped = [r for r in records if r["face"]]
    distances = [float(r["distance"]) for r in swapped if r.get("distance") is not None]  # type: ignore[arg-type]
    scores = [float(r["realism"]) for r in swapped if "realism" in r]  # type: ignore[arg-type]
    metrics = {
        "frames": float(frames),
        "swap_rate": len(swapped) / frames if frames else 0.0,
        # a swapped face the identity backend no longer finds counts as a miss
        "identity_match_rate": sum(d <= threshold for d in distances) / len(swapped) if swapped else 0.0,
        "identity_threshold": threshold,
    }
    if distances:
        metrics.update(
            identity_distance_median=float(np.median(distances)), identity_distance_max=max(distances)
        )
    if scores:
        metrics.update(realism_median=float(np.median(scores)), realism_min=min(scores))
    return {k: round(v, 6) for k, v in metrics.items()}
