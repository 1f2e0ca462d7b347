"""Face edits as typed settings (the `face_edit` spec's `edits:` and its keyframes) and how they
become an Expression and a value between two keyframes."""

from __future__ import annotations

from pydantic import Field

from dhcore.facemesh.expressions import Expression
from dhcore.stage import StageParams

GEOMETRY = ("smile", "jaw_open", "mouth_width", "eyes_closed", "brow", "gaze_x", "gaze_y")


def _strength(lo: float, what: str) -> float:
    return Field(0.0, ge=lo, le=1.0, description=what)  # type: ignore[no-any-return]


class Edits(StageParams):
    smile: float = _strength(-1, "mouth corners out and up (negative: a frown), -1..1")
    jaw_open: float = _strength(0, "mouth/jaw open, 0..1 (the inside of the mouth is painted)")
    mouth_width: float = _strength(-1, "lips spread (negative: rounded, as for 'oo'), -1..1")
    eyes_closed: float = _strength(-1, "both eyes closed, 0..1 (negative: opened wide)")
    brow: float = _strength(-1, "brows raised (negative: lowered), -1..1")
    gaze_x: float = _strength(-1, "irises towards image-right (negative: image-left), -1..1")
    gaze_y: float = _strength(-1, "irises down (negative: up), -1..1")
    lip_colour: str | None = Field(
        None, pattern=r"^#[0-9a-fA-F]{6}$", description="lip colour as #rrggbb; null keeps the lips' own"
    )
    lip_colour_strength: float = _strength(0, "how far the lips take `lip_colour`, 0..1")

    def expression(self) -> Expression:
        return Expression(**{k: getattr(self, k) for k in GEOMETRY})

    def moves(self) -> bool:
        return any(getattr(self, k) for k in GEOMETRY)


def between(a: Edits, b: Edits, t: float) -> Edits:
    """The edits a share `t` (0..1) of the way from keyframe `a` to `b`, eased in and out."""
    s = t * t * (3 - 2 * t)
    values = {k: (1 - s) * getattr(a, k) + s * getattr(b, k) for k in (*GEOMETRY, "lip_colour_strength")}
    colour = b.lip_colour or a.lip_colour
    strength_a = a.lip_colour_strength if a.lip_colour else 0.0
    strength_b = b.lip_colour_strength if b.lip_colour else 0.0
    values["lip_colour_strength"] = (1 - s) * strength_a + s * strength_b
    return Edits(**values, lip_colour=colour)


def at_time(keyframes: list[Keyframe], seconds: float) -> Edits:
    """The edits at `seconds` along keyframes sorted by time (held before the first, after the last)."""
    if seconds <= keyframes[0].at:
        return keyframes[0].edits
    for a, b in zip(keyframes, keyframes[1:], strict=False):
        if seconds <= b.at:
            return between(a.edits, b.edits, (seconds - a.at) / (b.at - a.at) if b.at > a.at else 1.0)
    return keyframes[-1].edits


class Keyframe(StageParams):
    at: float = Field(ge=0, le=600, description="seconds from the start of the video")
    edits: Edits = Field(description="the edits at that time (eased in and out between keyframes)")
