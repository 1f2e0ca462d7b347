"""Stage family `animate.<backend>`: one declaration per backend, one implementation for all.

The declaration's params are the backend's own params plus what every backend needs (output size,
seed); the frame rate is read from the target poses, not passed. The implementation hands the
inputs to the backend class (dhcore.animate.base.Backend) named by the declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import Field, create_model

from dhcore.stage import Device, InputValue, StageContext, StageDef, StageParams, StageResult, port

#: guidance streams a backend may read besides the skeleton (Champ's maps, MagicAnimate's DensePose);
#: input role guidance_<type>
GUIDANCE = ("depth", "normal", "semantic_map", "densepose")


class AnimateCall(StageParams):
    """What every animate.* stage gets; subclassed per backend with its own `params`."""

    width: int = Field(gt=0)
    height: int = Field(gt=0)
    seed: int = 0
    params: StageParams


def call_params(name: str, backend_params: type[StageParams]) -> type[AnimateCall]:
    return create_model(  # type: ignore[call-overload, no-any-return]
        f"Animate_{name}",
        __base__=AnimateCall,
        params=(backend_params, Field(default_factory=backend_params)),
    )


def declare(
    name: str, version: str, backend_params: type[StageParams], *, device: Device | Callable[[Any], Device] = "cpu",
    model_ids: Callable[[Any], list[str]] | None = None, guidance: tuple[str, ...] = (), driving: bool = False,
) -> StageDef:  # fmt: skip
    """The declaration of backend `name`; `model_ids` and `device` receive the backend's own params."""
    inputs = (
        port("reference_image", "image"), port("reference_pose", "pose"), port("target_pose", "pose"),
        port("skeleton", "frames", optional=True),
        *(port(f"guidance_{t}", "frames", "video", optional=True) for t in guidance),
        *((port("driving_video", "video", optional=True), port("driving_pose", "pose", optional=True))
          if driving else ()),
    )  # fmt: skip
    return StageDef(
        f"animate.{name}", version, call_params(name, backend_params), inputs, (port("frames", "frames"),),
        impl="dhcore.animate.stage:run",
        model_ids=(lambda p: model_ids(p.params)) if model_ids else (lambda p: []),
        device=(lambda p: device(p.params)) if callable(device) else device,
        backend=name,
    )  # fmt: skip


def run(inputs: dict[str, InputValue], params: AnimateCall, out_dir: Path, ctx: StageContext) -> StageResult:
    from dhcore.animate.base import AnimateInputs
    from dhcore.animate.registry import get_backend
    from dhcore.pose.keypoints import PoseSequence

    assert ctx.stage is not None and ctx.stage.backend is not None, "animate.* runs through its declaration"
    target = Path(inputs["target_pose"])  # type: ignore[arg-type]
    skeleton = inputs.get("skeleton")
    animate_inputs = AnimateInputs(
        reference_image=Path(inputs["reference_image"]), reference_pose=Path(inputs["reference_pose"]),  # type: ignore[arg-type]
        target_pose=target, skeleton=Path(skeleton) if skeleton else None,  # type: ignore[arg-type]
        width=params.width, height=params.height,
        fps=Fraction(PoseSequence.load(target).fps).limit_denominator(1001), seed=params.seed,
        guidance={t: Path(v) for t in GUIDANCE if (v := inputs.get(f"guidance_{t}"))},  # type: ignore[arg-type]
        driving_video=Path(v) if (v := inputs.get("driving_video")) else None,  # type: ignore[arg-type]
        driving_pose=Path(v) if (v := inputs.get("driving_pose")) else None,  # type: ignore[arg-type]
    )  # fmt: skip
    backend = get_backend(ctx.stage.backend)
    return backend.run(animate_inputs, params.params, Path(out_dir) / "frames.nut", ctx.progress)
