"""Pose detectors by name (dhcore.backends). Each implementation class has
`open(params, video, models_root)` returning a warm detector for one stage run."""

from __future__ import annotations

from dhcore.backends import Backend, Table
from dhcore.models import ids

DETECTORS = Table(
    "pose detector",
    Backend("mediapipe", "dhcore.pose.extract_mediapipe:MediaPipeDetector"),
    Backend("dwpose", "dhcore.pose.extract_dwpose:DWPoseDetector",
            model_ids=(ids.DWPOSE_DETECTOR, ids.DWPOSE_POSE)),
)  # fmt: skip
