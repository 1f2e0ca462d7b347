"""Assembly and extras as catalogued Prefect tasks."""

from __future__ import annotations

from pathlib import Path

from dhcore.catalog.repo import AssetRef
from dhcore.media import assemble, extras
from tasks.step import RunContext, StepOutcome, execute, stage_task


@stage_task("assemble")
def assemble_video(
    ctx: RunContext, frames: AssetRef, audio: AssetRef | None, params: assemble.Params
) -> StepOutcome:
    """H.264 + AAC: the deliverable."""
    inputs = {"frames": frames} | ({"audio": audio} if audio else {})
    return execute(
        ctx, assemble.NAME, assemble.VERSION, params, inputs,
        lambda out, progress: assemble.run(
            Path(frames.path), out / "video.mp4", params, Path(audio.path) if audio else None, progress
        ),
    )  # fmt: skip


@stage_task("render.extras")
def render_extras(
    ctx: RunContext, reference: AssetRef, skeleton: AssetRef, result: AssetRef, audio: AssetRef | None,
    params: extras.Params,
) -> StepOutcome:  # fmt: skip
    """Side-by-side (reference | skeleton | result) and skeleton-overlay videos."""
    inputs = {"reference": reference, "skeleton": skeleton, "result": result} | (
        {"audio": audio} if audio else {}
    )
    return execute(
        ctx, extras.NAME, extras.VERSION, params, inputs,
        lambda out, progress: extras.run(
            Path(reference.path), Path(skeleton.path), Path(result.path), out, params,
            Path(audio.path) if audio else None, progress,
        ),
    )  # fmt: skip
