"""Animation backends by name. Imports are lazy: the warp default never loads torch."""

from __future__ import annotations

from dhcore.animate.base import Backend

DIFFUSION = ("animate_anyone", "musepose", "champ")
MAGICANIMATE = ("magicanimate",)
NAMES = ("warp", *DIFFUSION, *MAGICANIMATE)


def get_backend(name: str) -> Backend:
    if name == "warp":
        from dhcore.animate.warp import BACKENDS
    elif name in DIFFUSION:
        from dhcore.animate.animate_anyone.backend import BACKENDS  # type: ignore[assignment]
    elif name in MAGICANIMATE:
        from dhcore.animate.magicanimate.backend import BACKENDS  # type: ignore[assignment]
    else:
        raise KeyError(f"unknown animation backend {name!r} (known: {', '.join(NAMES)})")
    return BACKENDS[name]()
