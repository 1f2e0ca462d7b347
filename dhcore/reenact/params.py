"""The reenactment's settings, apart from the renderer (validating a spec imports no image code)."""

from __future__ import annotations

from pydantic import Field

from dhcore.stage import StageParams


class Params(StageParams):
    expression: float = Field(1.0, ge=0, le=1.5, description="scale of the driver's expression changes")
    head_motion: float = Field(1.0, ge=0, le=1.5, description="scale of the driver's head motion")
    smoothing_cutoff: float = Field(1.5, gt=0, le=10, description="One-Euro minimum cutoff (Hz)")
    smoothing_beta: float = Field(0.5, ge=0, le=5, description="One-Euro speed coefficient")
