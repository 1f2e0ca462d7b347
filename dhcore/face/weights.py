"""Which weights change a face stage's output: one digest for the stage's cache key."""

from __future__ import annotations

from pathlib import Path

from dhcore.face.params import IdentityParams, RefineParams, RestoreParams
from dhcore.models import ids


def _identity_digests(identity: IdentityParams, models_root: Path | None) -> list[str]:
    from dhcore.face import dlib_backend
    from dhcore.models import registry

    if identity.backend == "insightface":
        return [f"{ids.BUFFALO_L}:" + registry.weights_sha256(ids.BUFFALO_L, models_root)]
    digests = ["dlib:" + dlib_backend.weights_sha256()]
    if identity.backend == "mediapipe":
        import mediapipe

        digests.append(f"mediapipe:{mediapipe.__version__}")  # its models ship inside the wheel
    return digests


def _restore_digests(restore: RestoreParams, models_root: Path | None) -> list[str]:
    from dhcore.face.backends import restorer_model_ids
    from dhcore.models import registry

    return [f"{m}:" + registry.weights_sha256(m, models_root) for m in restorer_model_ids(restore.backend)]


def stage_weights_sha256(
    stage: str,
    identity: IdentityParams,
    restore: RestoreParams | None = None,
    refine: RefineParams | None = None,
    models_root: Path | None = None,
) -> str:
    """Digest over the weights `face.identity`, `face.restore` or `face.refine` reads (verified)."""
    from dhcore.face.backends import refiner_model_ids
    from dhcore.models import registry

    parts = _identity_digests(identity, models_root)
    if stage == "face.restore" and restore is not None:
        parts += _restore_digests(restore, models_root)
    elif stage == "face.refine" and refine is not None:
        parts += [
            f"{m}:" + registry.weights_sha256(m, models_root) for m in refiner_model_ids(refine, identity)
        ]
        if refine.restore_after and restore is not None:
            parts += _restore_digests(restore, models_root)
    elif stage != "face.identity":
        raise ValueError(f"not a face stage (or its params are missing): {stage}")
    return registry.digest_of(parts)
