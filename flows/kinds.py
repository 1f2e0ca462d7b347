"""Which flow runs which spec kind."""

from __future__ import annotations

from typing import Any


def flow_for_kind(kind: str) -> Any:
    if kind == "dance_video":
        from flows.dance_video import dance_video

        return dance_video
    if kind == "photo_shoot":
        from flows.photo_shoot import photo_shoot

        return photo_shoot
    if kind == "try_on":
        from flows.try_on import try_on

        return try_on
    if kind == "face_swap":
        from flows.face_swap import face_swap

        return face_swap
    if kind == "face_edit":
        from flows.face_edit import face_edit

        return face_edit
    if kind == "talking_head":
        from flows.talking_head import talking_head

        return talking_head
    if kind == "face_reenact":
        from flows.face_reenact import face_reenact

        return face_reenact
    raise KeyError(f"no flow for spec kind {kind!r}")
