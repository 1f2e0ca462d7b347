"""Photo-shoot backends by name: a torch-free table (params, device, model ids, capabilities,
implementation), so the spec validator and the stage declarations never load torch; a test checks
it against the backend classes so the two cannot drift apart.

To add a backend: its Params in dhcore.shoot.params (no torch), one Entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dhcore.backends import implementation
from dhcore.models import ids
from dhcore.shoot.base import ShootBackend
from dhcore.shoot.params import Arc2FaceParams, CosmicManParams, TemplateSwapParams
from dhcore.stage import Device, StageParams


@dataclass(frozen=True)
class Capabilities:
    prompts: bool
    templates: bool


@dataclass(frozen=True)
class Entry:
    name: str
    version: str
    Params: type[StageParams]
    impl: str  # "module:Class" implementing dhcore.shoot.base.ShootBackend
    capabilities: Capabilities
    #: cpu | cuda | auto ("auto": the params' own `device` decides)
    device: Device = "cpu"
    model_ids: Callable[[Any], list[str]] = lambda params: []


def _face_stack_ids(params: TemplateSwapParams) -> list[str]:
    return [ids.BUFFALO_L] if params.face_backend == "insightface" else []


ENTRIES: dict[str, Entry] = {
    e.name: e
    for e in (
        Entry("template_swap", "1", TemplateSwapParams, "dhcore.shoot.backends.template_swap:TemplateSwapBackend",
              Capabilities(prompts=False, templates=True), model_ids=_face_stack_ids),
        Entry("arc2face", "1", Arc2FaceParams, "dhcore.shoot.backends.arc2face:Arc2FaceBackend",
              Capabilities(prompts=False, templates=True), "auto", lambda p: [ids.ARC2FACE]),
        Entry("cosmicman", "1", CosmicManParams, "dhcore.shoot.backends.cosmicman:CosmicManBackend",
              Capabilities(prompts=True, templates=False), "auto", lambda p: [ids.COSMICMAN_SDXL]),
    )
}  # fmt: skip
CAPABILITIES: dict[str, Capabilities] = {name: e.capabilities for name, e in ENTRIES.items()}


def entry(name: str) -> Entry:
    if name not in ENTRIES:
        raise KeyError(f"unknown photo-shoot backend {name!r} (known: {', '.join(ENTRIES)})")
    return ENTRIES[name]


def get_backend(name: str) -> ShootBackend:
    """An instance of the backend's class (imports torch: the backends package loads it)."""
    return implementation(entry(name).impl)()  # type: ignore[no-any-return]


def look_problem(backend: str, template: bool, prompt: bool) -> str | None:
    """Whether `backend` can make this kind of look (a template look or a prompt look)."""
    caps = CAPABILITIES.get(backend)
    if caps is None:
        return f"unknown backend {backend!r} (known: {', '.join(CAPABILITIES)})"
    if prompt and not caps.prompts:
        able = [n for n, c in CAPABILITIES.items() if c.prompts]
        return f"backend {backend} cannot follow text prompts; give this look a `template`, or use {' or '.join(able)}"
    if template and not caps.templates:
        able = [n for n, c in CAPABILITIES.items() if c.templates]
        return f"backend {backend} cannot use template photos; give this look a `prompt`, or use {' or '.join(able)}"
    return None
