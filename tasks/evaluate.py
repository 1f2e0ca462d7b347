"""Quality measurements as catalogued Prefect tasks."""

from __future__ import annotations

from pathlib import Path

from dhcore.catalog.repo import AssetRef
from dhcore.metrics import pck
from tasks.step import RunContext, StepOutcome, execute, stage_task


@stage_task("evaluate.pose_pck")
def pose_pck(
    ctx: RunContext, frames: AssetRef, target: AssetRef, reference: AssetRef, params: pck.Params
) -> StepOutcome:
    """Re-detect the pose on the delivered frames and compare with the target (PCK)."""
    return execute(
        ctx, pck.NAME, pck.VERSION, params, {"frames": frames, "target": target, "reference": reference},
        lambda out, progress: pck.run(
            Path(frames.path), Path(target.path), out / "detected.npz", params, progress, Path(reference.path)
        ),
    )  # fmt: skip
