"""`dh validate` checks of a face_swap spec: a usable face in every identity photo, one person to
replace in the target video (and in the reference photo naming them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dhcore.errors import DhError

Problems = list[tuple[tuple[str | int, ...], str]]
#: identity faces narrower than this (detector box, analysis pixels) carry too little of the person
MIN_FACE_PX = 40
#: target frames looked at for a face (evenly spread)
TARGET_SAMPLES = 12


def photo_problem(path: Path, backend: str, face: int | None) -> str | None:
    """Why this identity photo cannot give the face (none, several alike and no `face`, too small)."""
    from dhcore.face.reference import reference_face
    from dhcore.shoot.faces import shared_analyzer
    from dhcore.spec.content_checks import group_photo_problem

    try:
        found = reference_face(path, shared_analyzer(backend), face)
    except DhError as exc:
        return str(exc).removeprefix(f"{path}: ")
    if face is None and (several := group_photo_problem(path, backend)):
        return several
    if found.face.size < MIN_FACE_PX:
        return f"the face is only {found.face.size:.0f} px wide (at least {MIN_FACE_PX}): use a closer photo"
    return None


def target_problem(path: Path, backend: str) -> str | None:
    """None when some sampled frame of the target video shows a face."""
    from dhcore.face.reference import detect_faces
    from dhcore.media.frames import iter_frames, probe
    from dhcore.shoot.faces import shared_analyzer

    analyzer = shared_analyzer(backend)
    total = max(1, probe(path).frames or TARGET_SAMPLES)
    wanted = set(np.linspace(0, total - 1, TARGET_SAMPLES).round().astype(int).tolist())
    index = 0
    for chunk in iter_frames(path):
        for frame in chunk:
            if index in wanted and detect_faces(analyzer, np.ascontiguousarray(frame)):
                return None
            index += 1
    return f"no face in any of {len(wanted)} frames sampled across the video (face backend {backend})"


def spec_problems(loaded: Any) -> Problems:
    spec, files = loaded.spec, loaded.files
    backend = spec.swap.face_backend
    problems: Problems = []
    for i in range(len(spec.identity.photos)):
        photo = files.get(("identity", "photos", i))
        if photo is not None and (problem := photo_problem(photo, backend, spec.identity.face)):
            wrong_index = spec.identity.face is not None and problem.startswith(
                f"no face {spec.identity.face} "
            )
            where = ("identity", "face") if wrong_index else ("identity", "photos", i)
            problems.append((where, f"{photo}: {problem}"))
    video = files.get(("target", "video"))
    if video is not None and (problem := target_problem(video, backend)):
        problems.append((("target", "video"), f"{video}: {problem}"))
    reference = files.get(("target", "reference"))
    if reference is not None and (problem := photo_problem(reference, backend, None)):
        problems.append((("target", "reference"), f"{reference}: {problem}"))
    return problems
