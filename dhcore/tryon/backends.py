"""Try-on backends by name (dhcore.backends): each row's `impl` is its stage declaration."""

from __future__ import annotations

from dhcore.backends import Backend, Table
from dhcore.models import ids

TRY_ON = Table(
    "try-on",
    Backend("warp", "dhcore.tryon.warp:STAGE"),
    Backend("fashn_vton", "dhcore.tryon.fashn.stage:STAGE", device="auto", model_ids=(ids.FASHN_VTON,)),
)
