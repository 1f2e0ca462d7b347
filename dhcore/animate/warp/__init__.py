"""`warp`: the embedded CPU animator (a layered, skinned 2D mesh puppet of the photo)."""

from dhcore.animate.warp.backend import NAME, VERSION, WarpBackend, WarpParams

BACKENDS = {"warp": WarpBackend}

__all__ = ["BACKENDS", "NAME", "VERSION", "WarpBackend", "WarpParams"]
