"""Face figures over the frames that should show a face, not only the frames where one was found.

The face stages (face.identity, face.refine) report per frame whether they found the reference
person's face and its distance to the reference. Rated here over the frames whose target pose
shows a face (nose and an eye confidently, the nose inside the frame):
- face_detection_rate: share of them with a face found;
- face_match_rate: share of the measured ones (all of them; face.identity measures every
  `stride`-th frame) whose face is within the same-person threshold; no face found is a miss.
  face_match_rate_raw: the same before refinement, when the report has it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from dhcore.errors import InputError
from dhcore.pose.keypoints import J, PoseSequence


def target_shows_face(target: PoseSequence, min_confidence: float = 0.3) -> np.ndarray:
    """[F] bool: frames whose target shows the nose in the frame and at least one eye."""
    vis = target.visible(min_confidence)
    nose = target.body[:, J["nose"], :2]
    inside = np.all((nose >= 0) & (nose < 1), axis=-1)
    return vis[:, J["nose"]] & (vis[:, J["r_eye"]] | vis[:, J["l_eye"]]) & inside


def load_report(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable face report ({exc})") from exc
    if not isinstance(doc.get("frames"), list) or "threshold" not in doc:
        raise InputError(f"{path}: not a face stage report (no frames or threshold)")
    return doc


def rates(report: dict[str, Any], shows_face: np.ndarray) -> dict[str, float]:
    """face_detection_rate, face_match_rate (and _raw) over the frames where the target shows a face."""
    frames = {int(f["index"]): f for f in report["frames"]}
    threshold, stride = float(report["threshold"]), int(report.get("stride", 1))
    asked = [i for i in np.flatnonzero(shows_face)]
    out = {"face_frames_expected": float(len(asked)), "face_threshold": threshold}
    if not asked:
        return out
    found = [bool(frames.get(i, {}).get("face")) for i in asked]
    out["face_detection_rate"] = float(np.mean(found))
    measured = [i for i in asked if i % stride == 0 or frames.get(i, {}).get("distance") is not None]
    for suffix, key in (("", "distance"), ("_raw", "distance_raw")):
        dists = [_distance(frames.get(i, {}), key) for i in measured]
        if suffix and all(d is None for d in dists):
            continue  # no raw distances: the report is not a refinement's
        hits = [d is not None and d <= threshold for d in dists]
        out[f"face_match_rate{suffix}"] = float(np.mean(hits)) if hits else 0.0
    return out


def _distance(frame: dict[str, Any], key: str) -> float | None:
    value = frame.get(key, (frame.get("extra") or {}).get(key))
    return None if value is None else float(value)
