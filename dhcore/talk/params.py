"""The talking head's motion settings, apart from the renderer (validating a spec imports no image code)."""

from __future__ import annotations

from pydantic import Field

from dhcore.stage import StageParams


class Motion(StageParams):
    """How the face moves besides following the audio (the spec's `motion:` block)."""

    mouth_gain: float = Field(0.7, ge=0.1, le=1.5, description="jaw opening at full loudness (0..1.5)")
    coarticulation: float = Field(1.0, ge=0, le=4, description="mouth-shape smoothing, in frames (sigma)")
    blinks_per_minute: float = Field(15, ge=0, le=40)
    head_motion: float = Field(1.0, ge=0, le=2, description="scale of the head's sway and nods (0: still)")
    seed: int = Field(0, ge=0, description="draws the blink times and the head's sway")
