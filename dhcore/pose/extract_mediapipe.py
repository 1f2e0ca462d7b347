"""The embedded pose detector: MediaPipe 0.10.21 (`mp.solutions`, models bundled in the wheel).

Holistic (pose + both hands + face mesh) for `parts="all"`, Pose alone for `parts="body"`
(about twice as fast; what the PCK metric needs). Pose runs offline only with
model_complexity=1, the one pose model the wheel ships.

Mapping to the dh layout:
- body: OpenPose-18 from BlazePose-33; neck = shoulder midpoint with the smaller shoulder
  visibility; confidence = MediaPipe's landmark visibility (kept raw: consumers threshold it,
  0.3 by convention).
- depth (`detector.depth`, the last frame's, [18]): BlazePose's z per landmark (hip midpoint 0,
  towards the camera negative, in units of the image width), neck = the shoulders' mean; NaN
  when no body was found. It orders limb layers in the warp animator.
- hands: MediaPipe's 21 hand points are already in OpenPose hand order. Holistic's left hand
  is the person's left. MediaPipe reports no per-point score for hands; holistic returns a
  hand only after its own presence check, so every point of a returned hand gets the
  visibility of the body wrist it hangs from, floored at 0.5.
- face: 68 iBUG points picked from the 468-point mesh (FACE68_FROM_MESH below: symmetric
  picks on the mesh's face oval, brow, eye and lip rings, checked against dlib's 68-point
  predictor on the packaged photos); confidence = the mean visibility of the body's face
  points (nose, eyes, ears), floored at 0.5.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np

from dhcore.pose.keypoints import N_BODY, N_FACE, N_HAND

#: OpenPose-18 index -> BlazePose-33 index (neck, index 1, is computed).
BODY18_FROM_POSE33 = (0, -1, 12, 14, 16, 11, 13, 15, 24, 26, 28, 23, 25, 27, 5, 2, 8, 7)

#: iBUG-68 index -> face-mesh index: jaw (person's right ear -> chin -> left ear), brows,
#: nose bridge, nostrils, right eye, left eye, outer lips, inner lips.
FACE68_FROM_MESH = (
    127, 93, 132, 58, 172, 150, 149, 148, 152, 377, 378, 379, 397, 288, 361, 323, 356,
    70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
    168, 197, 5, 4, 75, 97, 2, 326, 305,
    33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
    61, 40, 37, 0, 267, 270, 291, 405, 314, 17, 84, 181,
    78, 82, 13, 312, 308, 317, 14, 87,
)  # fmt: skip

_POSE_IDX = np.array([i if i >= 0 else 0 for i in BODY18_FROM_POSE33])
_FACE_IDX = np.array(FACE68_FROM_MESH)
_FACE_BODY = np.array([0, 14, 15, 16, 17])
MIN_PART_CONF = 0.5


def _landmarks(lm: object, n: int) -> np.ndarray:
    out = np.empty((n, 3), dtype=np.float32)
    for i, p in enumerate(lm.landmark):  # type: ignore[attr-defined]
        out[i] = (p.x, p.y, p.visibility)
    return out


class MediaPipeDetector:
    """A warm MediaPipe graph: create once per stage run, feed frames in order, close at the end."""

    name = "mediapipe"

    def __init__(
        self,
        video: bool,
        parts: Literal["all", "body"] = "all",
        min_detection: float = 0.5,
        segment: bool = False,
    ) -> None:
        """`segment` (body only): also keep the person's segmentation mask of the last frame in `mask`."""
        import mediapipe as mp

        self.parts = parts
        self.mask: np.ndarray | None = None
        self.depth = np.full(N_BODY, np.nan, np.float32)
        common = dict(
            static_image_mode=not video, model_complexity=1, smooth_landmarks=video,
            min_detection_confidence=min_detection, min_tracking_confidence=0.5,
        )  # fmt: skip
        if parts == "all":
            self._graph = mp.solutions.holistic.Holistic(refine_face_landmarks=False, **common)
        else:
            self._graph = mp.solutions.pose.Pose(enable_segmentation=segment, **common)

    @classmethod
    def open(cls, params: Any, video: bool, models_root: Path | None) -> MediaPipeDetector:
        """The pose.extract stage's constructor (dhcore.pose.detectors): its models ship in the wheel."""
        return cls(video=video, parts=params.parts)

    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Body [18,3], hands [2,21,3] (left, right), face [68,3]; normalized; missing = NaN, conf 0."""
        body = np.full((N_BODY, 3), np.nan, np.float32)
        hands = np.full((2, N_HAND, 3), np.nan, np.float32)
        face = np.full((N_FACE, 3), np.nan, np.float32)
        body[:, 2] = hands[..., 2] = face[:, 2] = 0.0
        res = self._graph.process(np.ascontiguousarray(rgb))
        self.mask = getattr(res, "segmentation_mask", None)
        self.depth = np.full(N_BODY, np.nan, np.float32)
        if res.pose_landmarks is None:
            return body, hands, face
        p33 = _landmarks(res.pose_landmarks, 33)
        z33 = np.array([p.z for p in res.pose_landmarks.landmark], np.float32)
        self.depth = z33[_POSE_IDX]
        self.depth[1] = z33[[11, 12]].mean()
        body[:] = p33[_POSE_IDX]
        shoulders = p33[[11, 12]]
        body[1, :2] = shoulders[:, :2].mean(0)
        body[1, 2] = shoulders[:, 2].min()
        if self.parts == "all":
            for k, (lm, wrist) in enumerate(((res.left_hand_landmarks, 7), (res.right_hand_landmarks, 4))):
                if lm is not None:
                    hands[k] = _landmarks(lm, N_HAND)
                    hands[k, :, 2] = max(MIN_PART_CONF, float(body[wrist, 2]))
            if res.face_landmarks is not None:
                mesh = _landmarks(res.face_landmarks, 468)
                face[:] = mesh[_FACE_IDX]
                face[:, 2] = max(MIN_PART_CONF, float(body[_FACE_BODY, 2].mean()))
        return body, hands, face

    def close(self) -> None:
        self._graph.close()

    def __enter__(self) -> MediaPipeDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
