"""The stage contract shared by every stage in dhcore.

A stage is declared (`StageDef`: name, version, typed params, input and output roles, the models
it reads, its device) and implemented by ONE uniform function, imported only when it runs:

    run(inputs: dict[str, Path | list[Path] | None], params: P, out_dir: Path, ctx: StageContext)
        -> StageResult

The function knows nothing of Prefect or SQL; `dhcore.runner` keys, caches and catalogues it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from dhcore.pool import POOL, ModelPool

#: progress(done, total) – total may be None when unknown.
Progress = Callable[[int, int | None], None]
Device = Literal["cpu", "cuda", "auto"]
InputValue = Path | list[Path] | None


def no_progress(done: int, total: int | None) -> None:
    """Default progress callback."""


class StageParams(BaseModel):
    """Base for stage params: strict, so a typo in a spec never silently changes nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=StageParams)


def as_params(model: type[P], params: StageParams | dict[str, Any]) -> P:
    """`params` as `model` (backends are also called with another model's dump or a plain dict)."""
    if isinstance(params, model):
        return params
    return model.model_validate(params.model_dump() if isinstance(params, BaseModel) else dict(params))


class Output(BaseModel):
    """One file a stage wrote, with the asset kind it should be catalogued as."""

    path: Path
    kind: str
    meta: dict[str, Any] = Field(default_factory=dict)


class StageResult(BaseModel):
    outputs: dict[str, Output] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    #: per-frame series (name -> values), stored as metric rows with a frame index
    series: dict[str, list[float | None]] = Field(default_factory=dict)
    frames: int = 0
    warnings: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class Port:
    """A declared input or output role: the asset kinds it takes, whether it may be absent or repeated."""

    role: str
    kinds: tuple[str, ...]
    optional: bool = False
    many: bool = False


def port(role: str, *kinds: str, optional: bool = False, many: bool = False) -> Port:
    return Port(role, kinds, optional, many)


@dataclass
class StageContext:
    """What a stage gets besides its inputs and params: injected, so dhcore never reaches for a framework."""

    progress: Progress = no_progress
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("dhcore.stage"))
    models_root: Path | None = None
    #: warm models shared by the stages of this process (dhcore.pool)
    pool: ModelPool = field(default_factory=lambda: POOL)
    #: the declaration being run (family implementations such as animate.* read their backend from it)
    stage: StageDef | None = None


def _no_models(params: Any) -> list[str]:
    return []


@dataclass(frozen=True)
class StageDef:
    name: str
    version: str
    Params: type[StageParams]
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]
    #: "module:function" (or "module:Class", whose instance's `run` is called): imported on first use
    impl: str
    model_ids: Callable[[Any], list[str]] = _no_models
    device: Device | Callable[[Any], Device] = "cpu"
    #: the weights digest when it is more than the registry models (e.g. weights shipped in a wheel)
    weights: Callable[[Any, Path | None], str | None] | None = None
    #: for a backend of a family: its name (animate.musepose -> "musepose")
    backend: str | None = None

    def implementation(self) -> Callable[[dict[str, InputValue], Any, Path, StageContext], StageResult]:
        module, _, attr = self.impl.partition(":")
        target = getattr(importlib.import_module(module), attr)
        return target().run if isinstance(target, type) else target

    def device_for(self, params: StageParams) -> Device:
        return self.device(params) if callable(self.device) else self.device

    def weights_digest(self, params: StageParams, models_root: Path | None = None) -> str | None:
        """The one fixed-length digest of every weight file this call reads (part of its cache key)."""
        if self.weights is not None:
            return self.weights(params, models_root)
        from dhcore.models.registry import weights_digest

        return weights_digest(self.model_ids(params), models_root)

    def call(
        self, out_dir: Path, params: StageParams | None = None, *, progress: Progress = no_progress,
        models_root: Path | None = None, **inputs: InputValue,
    ) -> StageResult:  # fmt: skip
        """Run the implementation here, without catalog or cache (tests, benchmarks, tools)."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        ctx = StageContext(progress=progress, models_root=models_root, stage=self)
        return self.implementation()(inputs, params if params is not None else self.Params(), out_dir, ctx)

    def input(self, role: str) -> Port:
        for p in self.inputs:
            if p.role == role:
                return p
        raise KeyError(
            f"{self.name} has no input {role!r} (declared: {', '.join(p.role for p in self.inputs)})"
        )


class NoParams(StageParams):
    """For stages with nothing to set."""
