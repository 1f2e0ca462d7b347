"""Photo-shoot backends by name, with what each can do, without importing torch to ask.

The capability table answers the spec validator cheaply; a test checks it against the
backend classes so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from dhcore.shoot.base import ShootBackend


@dataclass(frozen=True)
class Capabilities:
    prompts: bool
    templates: bool


CAPABILITIES: dict[str, Capabilities] = {
    "template_swap": Capabilities(prompts=False, templates=True),
    "arc2face": Capabilities(prompts=False, templates=True),
    "cosmicman": Capabilities(prompts=True, templates=False),
}


def get_backend(name: str) -> ShootBackend:
    if name == "template_swap":  # embedded: no torch import
        from dhcore.shoot.backends.template_swap import TemplateSwapBackend

        return TemplateSwapBackend()
    from dhcore.shoot.backends import BACKENDS

    if name not in BACKENDS:
        raise KeyError(f"unknown photo-shoot backend {name!r} (known: {', '.join(CAPABILITIES)})")
    return BACKENDS[name]()


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
