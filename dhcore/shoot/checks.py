"""Checks the spec validator runs on a photo shoot before any work starts.

Each returns None (or {}) when fine, else messages meant for the entry they name:
`identity_problems` -> `identity.photos.N`, `template_problem` -> `looks.N.template`,
`look_problem` -> `looks.N`.
"""

from __future__ import annotations

from dhcore.shoot.faces import template_face_problem as template_problem
from dhcore.shoot.identity import identity_problems


def look_problem(backend: str, template: bool, prompt: bool) -> str | None:
    """Whether `backend` can make this kind of look (a template look or a prompt look)."""
    from dhcore.shoot.backends import BACKENDS  # imports torch: only when a spec is checked

    cls = BACKENDS.get(backend)
    if cls is None:
        return f"unknown backend {backend!r} (known: {', '.join(BACKENDS)})"
    if prompt and not cls.supports_prompts:
        able = [name for name, b in BACKENDS.items() if b.supports_prompts]
        return f"backend {backend} cannot follow text prompts; give this look a `template`" + (
            f", or use {' or '.join(able)} for prompt looks" if able else ""
        )
    if template and not cls.supports_templates:
        able = [name for name, b in BACKENDS.items() if b.supports_templates]
        return f"backend {backend} cannot use template photos; give this look a `prompt`" + (
            f", or use {' or '.join(able)} for template looks" if able else ""
        )
    return None


__all__ = ["identity_problems", "look_problem", "template_problem"]
