"""Face stages as catalogued Prefect tasks."""

from __future__ import annotations

from pathlib import Path

from dhcore.catalog.repo import AssetRef
from dhcore.face import identity, refine, restore
from dhcore.face.params import FaceParams
from dhcore.face.weights import stage_weights_sha256
from tasks.step import RunContext, StepOutcome, execute, stage_task


@stage_task("face.restore")
def restore_faces(ctx: RunContext, frames: AssetRef, reference: AssetRef, face: FaceParams) -> StepOutcome:
    """Restore the tracked reference face in every frame."""
    params = {"restore": face.restore, "identity": face.identity}
    return execute(
        ctx, restore.NAME, restore.VERSION, params, {"frames": frames, "reference": reference},
        lambda out, progress: restore.run(
            Path(frames.path), Path(reference.path), out, face.restore, face.identity, progress
        ),
        weights_sha256=stage_weights_sha256(restore.NAME, face.identity, restore=face.restore),
    )  # fmt: skip


@stage_task("face.refine")
def refine_faces(ctx: RunContext, frames: AssetRef, reference: AssetRef, face: FaceParams) -> StepOutcome:
    """Give frames whose face drifted from the reference its identity back; measures before and after."""
    params = {"refine": face.refine, "identity": face.identity, "restore": face.restore}
    return execute(
        ctx, refine.NAME, refine.VERSION, params, {"frames": frames, "reference": reference},
        lambda out, progress: refine.run(
            Path(frames.path), Path(reference.path), out, face.refine, face.identity, face.restore, progress
        ),
        weights_sha256=stage_weights_sha256(
            refine.NAME, face.identity, restore=face.restore, refine=face.refine
        ),
    )  # fmt: skip


@stage_task("face.identity")
def measure_identity(ctx: RunContext, frames: AssetRef, reference: AssetRef, face: FaceParams) -> StepOutcome:
    """Per-frame identity of the delivered frames against the reference photo."""
    return execute(
        ctx, identity.NAME, identity.VERSION, face.identity, {"frames": frames, "reference": reference},
        lambda out, progress: identity.run(Path(frames.path), Path(reference.path), out, face.identity, progress),
        weights_sha256=stage_weights_sha256(identity.NAME, face.identity),
    )  # fmt: skip
