"""What a photo-shoot generation backend receives and must produce.

A backend makes ONE candidate portrait per call (the flow fans looks x count out as mapped
tasks); identity scoring and selection happen in later stages, never inside a backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from dhcore.stage import StageParams, StageResult


@dataclass(frozen=True)
class ShootInputs:
    identity_photos: tuple[Path, ...]  # the person's photos (quality-filtered upstream)
    #: .npy float32 [512]: mean L2-normalised ArcFace embedding of the identity (insightface pack),
    #: or None when no ArcFace model is installed (embedded backends don't need it)
    identity_embedding: Path | None
    template: Path | None  # template photo of a look (template looks)
    prompt: str | None  # text prompt of a look (prompt looks)
    negative_prompt: str | None
    seed: int
    width: int
    height: int


class ShootBackend(Protocol):
    name: ClassVar[str]
    version: ClassVar[str]
    device: ClassVar[str]  # "cpu" | "cuda" | "auto"
    supports_prompts: ClassVar[bool]
    supports_templates: ClassVar[bool]
    Params: ClassVar[type[StageParams]]

    def model_ids(self, params: StageParams) -> list[str]: ...

    def generate(self, inputs: ShootInputs, params: StageParams, out_path: Path) -> StageResult:
        """Write one RGB portrait of width x height to out_path (PNG)."""
        ...
