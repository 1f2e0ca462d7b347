"""Params of the face stages: the `face:` section of a spec.

Distances are the backend's own: Euclidean between 128-d dlib descriptors (dlib, mediapipe),
cosine distance 1 - cos between 512-d ArcFace embeddings (insightface). A face "matches" the
reference when its distance is at most the threshold. Measured here (dlib): the same person
0.07-0.45 apart across photos and edits, different people 0.63-0.83.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dhcore.stage import StageParams

Backend = Literal["dlib", "mediapipe", "insightface"]

#: same-person distance thresholds per backend (distance <= threshold: same person)
DEFAULT_THRESHOLDS: dict[str, float] = {"dlib": 0.6, "mediapipe": 0.6, "insightface": 0.6}


class TrackingParams(StageParams):
    """How the reference face is followed across frames."""

    smooth_min_cutoff: float = Field(
        2.0, gt=0, description="One-Euro minimum cutoff (Hz) for boxes and landmarks: lower = steadier"
    )
    smooth_beta: float = Field(
        5.0,
        ge=0,
        description="One-Euro speed coefficient (speed in face sizes per second): higher = less lag",
    )
    redetect_every: int = Field(
        0, ge=0, description="also search the whole frame every N frames (0: only when the face is lost)"
    )


class IdentityParams(StageParams):
    enabled: bool = True
    backend: Backend = Field("dlib", description="detector + embedding used to compare faces")
    threshold: float | None = Field(
        None,
        gt=0,
        le=2,
        description="same-person distance threshold; default per backend: dlib 0.6 (Euclidean, 128-d), "
        "mediapipe 0.6 (dlib descriptor), insightface 0.6 (cosine distance, 512-d ArcFace)",
    )
    stride: int = Field(
        1, ge=1, le=100, description="embed every Nth frame (faces are still tracked on every frame)"
    )
    tracking: TrackingParams = TrackingParams()

    def distance_threshold(self) -> float:
        return self.threshold if self.threshold is not None else DEFAULT_THRESHOLDS[self.backend]


class RestoreParams(StageParams):
    backend: Literal["none", "classical", "gfpgan", "codeformer"] = Field(
        "classical",
        description="classical: colour matched to the reference + mild detail recovery (embedded); "
        "gfpgan / codeformer: ONNX models from the registry (gfpgan_1.4, codeformer)",
    )
    strength: float = Field(0.8, ge=0, le=1, description="blend of the restored face over the original")
    fidelity: float = Field(
        0.7,
        ge=0,
        le=1,
        description="CodeFormer fidelity weight: 0 = strongest restoration, 1 = closest to input",
    )
    detail: float = Field(0.6, ge=0, le=2, description="classical: amount of detail (unsharp) recovery")
    color: float = Field(0.8, ge=0, le=1, description="classical: how far face colours move to the reference")
    measure_every: int = Field(
        8, ge=1, le=100,
        description="check identity before/after restoration on every Nth frame (the delivered identity is "
        "measured on every frame by face.refine or face.identity)",
    )  # fmt: skip


class RefineParams(StageParams):
    backend: Literal["none", "landmark_swap", "inswapper"] = Field(
        "landmark_swap",
        description="landmark_swap: the reference face warped onto the frame's landmarks (embedded); "
        "inswapper: insightface's inswapper_128.onnx from the registry",
    )
    threshold: float | None = Field(
        None,
        gt=0,
        le=2,
        description="refine frames whose distance is above this; default: identity.threshold",
    )
    reference_shape: float = Field(
        0.5,
        ge=0,
        le=1,
        description="landmark_swap: 0 follows the frame's face shape and expression exactly, "
        "1 keeps the reference's face proportions (pose still from the frame)",
    )
    blend: Literal["multiband", "seamless", "feather"] = Field(
        "multiband",
        description="landmark_swap: multiband (Laplacian pyramid), Poisson seamless cloning or a feathered "
        "alpha blend",
    )
    restore_after: bool = Field(True, description="run face.restore's backend on refined faces")


class FaceParams(StageParams):
    """The `face:` section: identity check, restoration and identity refinement."""

    identity: IdentityParams = Field(
        IdentityParams(), description="identity measurement; its backend also finds faces for restore/refine"
    )
    restore: RestoreParams = RestoreParams()
    refine: RefineParams = RefineParams()

    def refine_threshold(self) -> float:
        return (
            self.refine.threshold if self.refine.threshold is not None else self.identity.distance_threshold()
        )


class RestoreStageParams(StageParams):
    """face.restore: the restorer, and the identity backend that tracks and measures the face."""

    restore: RestoreParams
    identity: IdentityParams


class RefineStageParams(StageParams):
    """face.refine: the refiner, the identity it measures against, and the restorer it may run after."""

    refine: RefineParams
    identity: IdentityParams
    restore: RestoreParams
