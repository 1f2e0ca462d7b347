"""Quality measurements as catalogued Prefect tasks."""

from __future__ import annotations

from pathlib import Path

from dhcore.catalog.repo import AssetRef
from dhcore.metrics import pck
from tasks.step import RunContext, StepOutcome, execute, stage_task


@stage_task("evaluate.pose_pck")
def pose_pck(
    ctx: RunContext, frames: AssetRef, target: AssetRef, reference: AssetRef, params: pck.Params,
    face_report: AssetRef | None = None,
) -> StepOutcome:  # fmt: skip
    """Re-detect the pose on the delivered frames and score pose, motion, body and face against the target."""
    inputs = {"frames": frames, "target": target, "reference": reference}
    if face_report is not None:
        inputs["face_report"] = face_report
    return execute(
        ctx, pck.NAME, pck.VERSION, params, inputs,
        lambda out, progress: pck.run(
            Path(frames.path), Path(target.path), out / "detected.npz", params, progress, Path(reference.path),
            Path(face_report.path) if face_report is not None else None,
        ),
    )  # fmt: skip
