"""Reenactment backends by name (dhcore.backends): each row's `impl` is its stage declaration."""

from __future__ import annotations

from dhcore.backends import Backend, Table
from dhcore.models import ids

REENACT = Table(
    "face-reenact",
    Backend("mesh", "dhcore.reenact.render:STAGE"),
    Backend(
        "liveportrait",
        "dhcore.reenact.liveportrait.stage:STAGE",
        device="auto",
        model_ids=(ids.LIVEPORTRAIT,),
    ),
)
