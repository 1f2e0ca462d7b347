"""The animation stage as a catalogued Prefect task, for any registered backend."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from dhcore.animate.base import AnimateInputs
from dhcore.animate.registry import get_backend
from dhcore.catalog.repo import AssetRef
from dhcore.models.registry import weights_digest
from dhcore.stage import StageParams
from tasks.step import RunContext, StepOutcome, execute, stage_task


@stage_task("animate")
def animate(
    ctx: RunContext, backend_name: str, params: StageParams, reference_image: AssetRef, reference_pose: AssetRef,
    target_pose: AssetRef, skeleton: AssetRef | None, width: int, height: int, fps: str, seed: int,
    guidance: dict[str, AssetRef] | None = None,
) -> StepOutcome:  # fmt: skip
    """Move the person of the photo along the target poses; frames stream to the store."""
    backend = get_backend(backend_name)
    guidance = guidance or {}
    inputs = {
        "reference_image": reference_image,
        "reference_pose": reference_pose,
        "target_pose": target_pose,
    }
    if skeleton is not None:
        inputs["skeleton"] = skeleton
    inputs.update({f"guidance_{k}": v for k, v in guidance.items()})
    weights = weights_digest(backend.model_ids(params))
    key_params = {
        "backend": backend_name,
        "params": params,
        "width": width,
        "height": height,
        "fps": fps,
        "seed": seed,
    }
    animate_inputs = AnimateInputs(
        reference_image=Path(reference_image.path), reference_pose=Path(reference_pose.path),
        target_pose=Path(target_pose.path), skeleton=Path(skeleton.path) if skeleton else None,
        width=width, height=height, fps=Fraction(fps), seed=seed,
        guidance={k: Path(v.path) for k, v in guidance.items()},
    )  # fmt: skip
    return execute(
        ctx, f"animate.{backend_name}", backend.version, key_params, inputs,
        lambda out, progress: backend.run(animate_inputs, params, out / "frames.nut", progress),
        weights_sha256=weights,
    )  # fmt: skip
