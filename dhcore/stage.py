"""The stage contract shared by every stage in dhcore.

A stage is a plain function: typed inputs (file paths), a pydantic params model, an output
folder, and an optional progress callback. It returns a StageResult naming the files it
wrote. It knows nothing of Prefect or SQL; the task wrapper turns the files into assets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: progress(done, total) – total may be None when unknown.
Progress = Callable[[int, int | None], None]


def no_progress(done: int, total: int | None) -> None:
    """Default progress callback."""


class StageParams(BaseModel):
    """Base for stage params: strict, so a typo in a spec never silently changes nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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
