"""Stage family `shoot.generate.<backend>`: one candidate portrait per call, one implementation for all.

The declaration's params are the backend's own params plus the look's settings (look, index, seed,
prompt, size); the implementation hands them to the backend class (dhcore.shoot.base.ShootBackend).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, create_model

from dhcore.stage import InputValue, StageContext, StageDef, StageParams, StageResult, port


class GenerateCall(StageParams):
    """What every shoot.generate.* stage gets; subclassed per backend with its own `params`."""

    look: str
    index: int = Field(ge=0)
    seed: int
    prompt: str | None = None
    negative_prompt: str | None = None
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    params: StageParams


@cache
def declaration(name: str) -> StageDef:
    """The declaration of backend `name`, from the torch-free table."""
    from dhcore.shoot.registry import entry

    backend = entry(name)
    params = create_model(  # type: ignore[call-overload]
        f"Generate_{name}",
        __base__=GenerateCall,
        params=(backend.Params, Field(default_factory=backend.Params)),
    )
    device = backend.device
    return StageDef(
        f"shoot.generate.{name}", backend.version, params,
        inputs=(port("photo", "image", many=True), port("template", "image", optional=True),
                port("embedding", "embedding", optional=True)),
        outputs=(port("image", "image"),), impl="dhcore.shoot.stage:run",
        model_ids=lambda p: backend.model_ids(p.params),
        device=(lambda p: getattr(p.params, "device", device)) if device == "auto" else device,
        backend=name,
    )  # fmt: skip


def run(inputs: dict[str, InputValue], params: GenerateCall, out_dir: Path, ctx: StageContext) -> StageResult:
    from dhcore.shoot.base import ShootInputs
    from dhcore.shoot.registry import get_backend

    assert ctx.stage is not None and ctx.stage.backend is not None, (
        "shoot.generate.* runs through its declaration"
    )
    template, embedding = inputs.get("template"), inputs.get("embedding")
    shoot_inputs = ShootInputs(
        tuple(Path(p) for p in inputs["photo"]), Path(embedding) if embedding else None,  # type: ignore[union-attr, arg-type]
        Path(template) if template else None, params.prompt, params.negative_prompt, params.seed,  # type: ignore[arg-type]
        params.width, params.height,
    )  # fmt: skip
    return get_backend(ctx.stage.backend).generate(
        shoot_inputs, params.params, Path(out_dir) / "candidate.png"
    )
