"""Per-frame identity numbers and their summary, shared by the face stages' reports."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class FrameIdentity:
    index: int
    face: bool = False
    box: list[float] | None = None
    distance: float | None = None  # backend distance to the reference (None: no face / not sampled)
    similarity: float | None = None  # cosine similarity of the embeddings
    match: bool | None = None
    extra: dict[str, object] = field(default_factory=dict)


def summarize(frames: list[FrameIdentity], threshold: float, prefix: str = "face") -> dict[str, float]:
    """face_match_rate = share of measured frames with a face whose distance is within threshold."""
    total = len(frames)
    detected = sum(f.face for f in frames)
    measured = [f for f in frames if f.distance is not None]
    distances = np.array([f.distance for f in measured], np.float64)
    sims = np.array([f.similarity for f in measured if f.similarity is not None], np.float64)
    matches = int((distances <= threshold).sum()) if len(distances) else 0
    out = {
        f"{prefix}_match_rate": matches / len(measured) if measured else 0.0,
        f"{prefix}_detection_rate": detected / total if total else 0.0,
        f"{prefix}_frames_measured": float(len(measured)),
        f"{prefix}_threshold": float(threshold),
    }
    if len(distances):
        out.update({
            f"{prefix}_distance_mean": float(distances.mean()),
            f"{prefix}_distance_max": float(distances.max()),
        })  # fmt: skip
    if len(sims):
        out.update({
            f"{prefix}_similarity_mean": float(sims.mean()),
            f"{prefix}_similarity_min": float(sims.min()),
        })  # fmt: skip
    return out


def series(frames: list[FrameIdentity], prefix: str = "face") -> dict[str, list[float | None]]:
    return {
        f"{prefix}_distance": [f.distance for f in frames],
        f"{prefix}_similarity": [f.similarity for f in frames],
        f"{prefix}_detected": [1.0 if f.face else 0.0 for f in frames],
    }


def frames_meta(info: object, frames: int) -> dict[str, object]:
    """Media metadata of a frames file a face stage wrote (same size and rate as its input)."""
    return {
        "width": info.width, "height": info.height, "fps": str(info.fps), "frames": frames,  # type: ignore[attr-defined]
        "codec": "rawvideo",
    }  # fmt: skip


def _round(value: object) -> object:
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, list):
        return [_round(v) for v in value]
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def write_report(path: Path, header: dict[str, object], frames: list[FrameIdentity]) -> Path:
    """A JSON report: header (stage, backend, threshold, metrics...) and one record per frame."""
    doc = dict(header)
    doc["frames"] = [_round(asdict(f)) for f in frames]
    path.write_text(json.dumps(_round(doc), indent=1, sort_keys=False))
    return path
