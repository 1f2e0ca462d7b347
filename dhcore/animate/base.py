"""What every animation backend receives and must produce.

Backends register by name (spec `animate.backend`), declare their device and the model ids
they need, and stream frames to a FrameWriter; none holds the whole video in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import ClassVar, Protocol

from dhcore.stage import Progress, StageParams, StageResult


@dataclass(frozen=True)
class AnimateInputs:
    reference_image: Path  # the subject photo (any size; backends resize/crop as they need)
    reference_pose: Path  # PoseSequence file with one frame: the pose detected on the photo
    target_pose: Path  # PoseSequence file: aligned driving poses, in output-frame coordinates
    skeleton: Path | None  # frames file of pose.render at width x height (conditioning images)
    width: int
    height: int
    fps: Fraction
    seed: int = 0
    #: extra per-frame conditioning streams by name (Champ: depth, normal, semantic_map)
    guidance: dict[str, Path] = field(default_factory=dict)
    #: the driving video and its poses in its own coordinates, for backends that read the driver's
    #: face (wan_animate); None for the others
    driving_video: Path | None = None
    driving_pose: Path | None = None


class Backend(Protocol):
    name: ClassVar[str]
    version: ClassVar[str]
    device: ClassVar[str]  # "cpu" | "cuda" | "auto"
    Params: ClassVar[type[StageParams]]

    def model_ids(self, params: StageParams) -> list[str]:
        """Registry ids whose weights this run needs (their sha256 enters the cache key)."""
        ...

    def run(
        self, inputs: AnimateInputs, params: StageParams, out_path: Path, progress: Progress
    ) -> StageResult:
        """Write len(target_pose) RGB frames of width x height to out_path (a FrameWriter file)."""
        ...
