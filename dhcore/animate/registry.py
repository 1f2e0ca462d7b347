"""Animation backends by name: a torch-free table; implementations are imported on first use.

To add a backend: put its Params in a module that does not import torch, and add one `Entry` to
ENTRIES naming its implementation class (dhcore.animate.base.Backend) as "module:Class".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from dhcore.animate.animate_anyone.params import AnimateAnyoneParams, ChampParams, MusePoseParams
from dhcore.animate.magicanimate.params import MagicAnimateParams
from dhcore.animate.mimicmotion.params import MimicMotionParams
from dhcore.animate.stage import declare
from dhcore.animate.unianimate.params import UniAnimateParams
from dhcore.animate.wan_animate.params import WanAnimateParams
from dhcore.backends import implementation
from dhcore.stage import Device, StageDef, StageParams


@dataclass(frozen=True)
class Entry:
    name: str
    version: str
    Params: type[StageParams]
    impl: str  # "module:Class"
    #: cpu | cuda | auto, or a function of the backend's params
    device: Device | Callable[[Any], Device] = "cpu"
    model_ids: Callable[[Any], list[str]] | None = None
    #: the guidance streams it reads besides the skeleton (dhcore.animate.stage.GUIDANCE)
    guidance: tuple[str, ...] = ()
    #: whether it reads the driving video and its own-coordinate poses (the driver's face)
    driving: bool = False

    def ids(self, params: StageParams) -> list[str]:
        return self.model_ids(params) if self.model_ids else []

    @cached_property
    def stage(self) -> StageDef:
        return declare(self.name, self.version, self.Params, device=self.device, model_ids=self.model_ids,
                       guidance=self.guidance, driving=self.driving)  # fmt: skip


def _release_ids(p: AnimateAnyoneParams) -> list[str]:
    return [p.model, p.unet_config, p.vae, p.image_encoder]  # animate_anyone.components.ModelIds.all()


def _warp() -> tuple[str, type[StageParams]]:
    """The warp backend's version and params: its module imports no torch (numpy, OpenCV, MediaPipe)."""
    from dhcore.animate.warp.backend import VERSION, WarpParams

    return VERSION, WarpParams


_AA = "dhcore.animate.animate_anyone.backend"
ENTRIES: dict[str, Entry] = {
    e.name: e
    for e in (
        Entry("warp", *_warp(), "dhcore.animate.warp.backend:WarpBackend"),
        Entry(
            "animate_anyone",
            "1",
            AnimateAnyoneParams,
            f"{_AA}:AnimateAnyoneBackend",
            lambda p: p.device,
            _release_ids,
        ),
        Entry("musepose", "1", MusePoseParams, f"{_AA}:MusePoseBackend", lambda p: p.device, _release_ids),
        Entry(
            "champ",
            "1",
            ChampParams,
            f"{_AA}:ChampBackend",
            lambda p: p.device,
            _release_ids,
            guidance=("depth", "normal", "semantic_map"),
        ),
        Entry(
            "unianimate",
            "1",
            UniAnimateParams,
            "dhcore.animate.unianimate.backend:UniAnimateBackend",
            lambda p: p.device,
            lambda p: [p.model, p.sd21, p.clip],
        ),
        Entry(
            "magicanimate",
            "1",
            MagicAnimateParams,
            "dhcore.animate.magicanimate.backend:MagicAnimateBackend",
            lambda p: p.device,
            lambda p: [p.model, p.sd15, p.vae],
            guidance=("densepose",),
        ),
        Entry(
            "mimicmotion",
            "1",
            MimicMotionParams,
            "dhcore.animate.mimicmotion.backend:MimicMotionBackend",
            lambda p: p.device,
            lambda p: p.model_ids(),
        ),
        Entry(
            "wan_animate",
            "1",
            WanAnimateParams,
            "dhcore.animate.wan_animate.backend:WanAnimateBackend",
            lambda p: p.device,
            lambda p: p.model_ids(),
            driving=True,
        ),
    )
}
NAMES = tuple(ENTRIES)


def entry(name: str) -> Entry:
    if name not in ENTRIES:
        raise KeyError(f"unknown animation backend {name!r} (known: {', '.join(NAMES)})")
    return ENTRIES[name]


def stage(name: str) -> StageDef:
    return entry(name).stage


def get_backend(name: str) -> Any:
    """An instance of the backend's implementation class (imports torch for the diffusion ones)."""
    return implementation(entry(name).impl)()
