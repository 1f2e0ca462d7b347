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
    if spec.kind == "talking_head":
        from dhcore.talk.backends import backend_problems

        problems += speech_problems(spec, files) + backend_problems(spec.backend, spec.backend_params)
    driver = files.get(("driver",)) if spec.kind == "face_reenact" else None
    if driver is not None and (problem := driver_problem(driver)):
        problems.append((("driver",), problem))
    video = files.get(("video",)) if spec.kind in ("face_edit", "talking_head") else None
    if video is not None and (problem := driver_problem(video)):
        problems.append((("video",), problem.replace("the driving video", "the video")))
    return problems


def driver_problem(path: Path, frames: int = 50, every: int = 5) -> str | None:
    """A driving video whose first `frames` frames (every `every`-th looked at) show no face."""
    from dhcore.facemesh.landmarks import FaceMesh
    from dhcore.media.frames import iter_frames

    with FaceMesh(video=False, max_faces=1) as mesh:
        for i, frame in enumerate(f for chunk in iter_frames(path) for f in chunk):
            if i >= frames:
                break
            if i % every == 0 and mesh.all(frame):
                return None
    return f"{path}: no face found in the driving video (first {frames} frames)"


def speech_problems(spec: Any, files: dict[tuple[str | int, ...], Path]) -> Problems:
    """A silent or unreadable speech file; text without espeak-ng to speak it."""
    from dhcore.talk.audio import read_audio, silence_problem
    from dhcore.talk.tts import INSTALL_HINT, espeak

    if spec.speech.text is not None and espeak() is None:
        return [
            (("speech", "text"), f"text to speech needs espeak-ng, which is not installed: {INSTALL_HINT}")
        ]
    path = files.get(("speech", "audio"))
    if path is None:
        return []
    try:
        problem = silence_problem(read_audio(path))
    except DhError as exc:
        return [(("speech", "audio"), str(exc))]
    return [(("speech", "audio"), f"{path}: {problem}")] if problem else []


#: where each face kind names its portrait
FACE_PHOTOS: dict[str, tuple[tuple[str | int, ...], ...]] = {
    "face_edit": (("photo",),),
    "talking_head": (("portrait",),),
    "face_reenact": (("source",),),
}
