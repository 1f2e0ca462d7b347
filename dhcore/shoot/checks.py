"""Checks the spec validator runs on a photo shoot before any work starts.

Each returns None (or {}) when fine, else messages meant for the entry they name:
`identity_problems` -> `identity.photos.N`, `template_problem` -> `looks.N.template`,
`look_problem` -> `looks.N`.
"""

from __future__ import annotations

from dhcore.shoot.faces import template_face_problem as template_problem
from dhcore.shoot.identity import identity_problems
from dhcore.shoot.registry import look_problem

__all__ = ["identity_problems", "look_problem", "template_problem"]
