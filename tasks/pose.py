"""Pose stages as catalogued Prefect tasks."""

from __future__ import annotations

from pathlib import Path

from dhcore.catalog.repo import AssetRef
from dhcore.models.registry import weights_digest
from dhcore.pose import align, extract, openpose_json, render, smooth
from tasks.step import RunContext, StepOutcome, execute, stage_task


@stage_task("pose.extract")
def extract_pose(ctx: RunContext, source: AssetRef, params: extract.Params) -> StepOutcome:
    """Detect poses on a photo (one frame) or a driving video."""
    weights = weights_digest(extract.model_ids(params))
    return execute(
        ctx, extract.NAME, extract.VERSION, params, {"source": source},
        lambda out, progress: extract.run(Path(source.path), out / "pose.npz", params, progress),
        weights_sha256=weights,
    )  # fmt: skip


@stage_task("pose.import_openpose")
def import_openpose(ctx: RunContext, folder: AssetRef, params: openpose_json.Params) -> StepOutcome:
    """Read a folder of per-frame OpenPose JSON into a keypoint sequence."""
    return execute(
        ctx, openpose_json.NAME, openpose_json.VERSION, params, {"folder": folder},
        lambda out, progress: openpose_json.run(Path(folder.path), out / "pose.npz", params, progress),
    )  # fmt: skip


@stage_task("pose.smooth")
def smooth_pose(ctx: RunContext, pose: AssetRef, params: smooth.Params) -> StepOutcome:
    """One-Euro smoothing of the driving poses."""
    return execute(
        ctx, smooth.NAME, smooth.VERSION, params, {"pose": pose},
        lambda out, progress: smooth.run(Path(pose.path), out / "pose.npz", params, progress),
    )  # fmt: skip


@stage_task("pose.align")
def align_pose(ctx: RunContext, reference: AssetRef, driving: AssetRef, params: align.Params) -> StepOutcome:
    """Bone lengths from the reference, motion from the dancer, in output-frame coordinates."""
    return execute(
        ctx, align.NAME, align.VERSION, params, {"reference": reference, "driving": driving},
        lambda out, progress: align.run(Path(reference.path), Path(driving.path), out / "pose.npz", params, progress),
    )  # fmt: skip


@stage_task("pose.render")
def render_pose(ctx: RunContext, pose: AssetRef, params: render.Params) -> StepOutcome:
    """Skeleton images: overlays, side-by-side extras and diffusion conditioning."""
    return execute(
        ctx, render.NAME, render.VERSION, params, {"pose": pose},
        lambda out, progress: render.run(Path(pose.path), out / "skeleton.nut", params, progress),
    )  # fmt: skip
