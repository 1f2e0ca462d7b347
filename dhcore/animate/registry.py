"""Animation backends by name. Imports are lazy: the warp default never loads torch."""

from __future__ import annotations

from dhcore.animate.base import Backend

DIFFUSION = ("animate_anyone", "musepose", "champ", "mimicmotion")
NAMES = ("warp", *DIFFUSION)


def get_backend(name: str) -> Backend:
    if name == "warp":
        from dhcore.animate.warp import BACKENDS
    elif name == "mimicmotion":
        from dhcore.animate.mimicmotion.backend import BACKENDS  # type: ignore[assignment]
    elif name in DIFFUSION:
        from dhcore.animate.animate_anyone.backend import BACKENDS  # type: ignore[assignment]
    else:
        raise KeyError(f"unknown animation backend {name!r} (known: {', '.join(NAMES)})")
    return BACKENDS[name]()
