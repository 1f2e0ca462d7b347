"""`dh validate` checks of the face kinds (face_edit, talking_head, face_reenact): the same face
finding the run does, so a photo with no face, several faces or a face too small is refused up front."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dhcore.errors import DhError

Problems = list[tuple[tuple[str | int, ...], str]]


def photo_problem(path: Path) -> str | None:
    """Why this photo has no one usable face, or None."""
    from dhcore.facemesh.landmarks import one_face
    from dhcore.pose.extract import read_image

    try:
        one_face(read_image(path), str(path))
    except DhError as exc:
        return str(exc)
    return None


def spec_problems(loaded: Any) -> Problems:
    spec, files = loaded.spec, loaded.files
    problems: Problems = []
    for loc in FACE_PHOTOS[spec.kind]:
        path = files.get(loc)
        if path is not None and (problem := photo_problem(path)):
            problems.append((loc, problem))
    return problems


#: where each face kind names its portrait
FACE_PHOTOS: dict[str, tuple[tuple[str | int, ...], ...]] = {"face_edit": (("photo",),)}
