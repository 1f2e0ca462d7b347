"""Checks of the files a spec references, run by `dh validate` before any work starts.

Each check returns None when the file is usable, or a short message saying what is wrong.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from dhcore.errors import DhError
from dhcore.media.frames import probe
from dhcore.pose.keypoints import PoseSequence


def check_exists(path: Path, kind: str) -> str | None:
    if kind == "openpose_dir":
        return None if path.is_dir() else "folder does not exist"
    if not path.exists():
        return "file does not exist"
    if not path.is_file():
        return "is not a file"
    if not os.access(path, os.R_OK):
        return "file is not readable (permission denied)"
    return None


def _image(path: Path) -> str | None:
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        return "not a readable image (PNG, JPEG, WebP, ...)"
    if min(img.shape[:2]) < 32:
        return f"image is too small ({img.shape[1]}x{img.shape[0]})"
    return None


def _video(path: Path) -> str | None:
    try:
        info = probe(path, count_frames=True)
    except DhError as exc:
        return str(exc).removeprefix(f"{path}: ")
    if info.frames == 0:
        return "video has no frames"
    if not info.fps:
        return "video has no frame rate"
    return None


def _keypoints(path: Path) -> str | None:
    try:
        seq = PoseSequence.load(path)
    except DhError as exc:
        return str(exc).removeprefix(f"{path}: ")
    if len(seq) == 0:
        return "keypoint file has no frames"
    from dhcore.pose.extract import shows_body

    if not any(shows_body(body) for body in seq.body):
        return f"no visible body in any of its {len(seq)} frames (no confident neck or shoulders)"
    return None


def _openpose_dir(path: Path) -> str | None:
    return None if any(path.glob("*.json")) else "folder holds no OpenPose .json files"


def _audio(path: Path, video_ok: bool) -> str | None:
    try:
        with av.open(str(path)) as c:
            if c.streams.audio:
                return None
            return "has no audio track" if video_ok else "is not an audio file"
    except (av.FFmpegError, OSError) as exc:
        return f"not a readable audio file ({exc})"


CHECKS: dict[str, Callable[[Path], str | None]] = {
    "image": _image,
    "video": _video,
    "keypoints": _keypoints,
    "openpose_dir": _openpose_dir,
    "audio": lambda p: _audio(p, video_ok=False),
    "audio_or_video": lambda p: _audio(p, video_ok=True),
}


def check_file(path: Path, kind: str) -> str | None:
    if problem := check_exists(path, kind):
        return problem
    try:
        return CHECKS[kind](path)
    except OSError as exc:
        return f"cannot read: {exc}"


def check_spec(loaded: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Checks that need the whole spec (content of several fields together)."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    spec = loaded.spec
    if spec.kind == "dance_video":
        motion = loaded.files.get(("motion", "path"))
        if spec.output.audio.source == "driving" and motion is not None and not probe(motion).has_audio:
            problems.append((("output", "audio", "source"), f"driving video {motion} has no audio track"))
        photo = loaded.files.get(("subject", "image"))
        if photo is not None and spec.face_stages_requested():
            from dhcore.face.reference import reference_face_problem

            backend = spec.face.identity.backend
            if problem := reference_face_problem(photo, backend):
                problems.append(
                    (("subject", "image"), f"{photo}: {problem}; face stages need one (or disable them)")
                )
        problems += _backend_params_problems(spec.animate.backend, spec.animate.params, ("animate", "params"))
        problems += _guidance_problems(loaded)
    elif spec.kind == "photo_shoot":
        problems += _photo_shoot_problems(loaded)
    return problems


def _driving_frames(loaded: Any) -> int | None:
    motion, path = loaded.spec.motion, loaded.files.get(("motion", "path"))
    try:
        if path is None:
            return None
        if motion.type == "video":
            return probe(path, count_frames=True).frames
        if motion.type == "keypoints":
            return len(PoseSequence.load(path))
        return len(list(Path(path).glob("*.json")))
    except DhError:
        return None  # reported by the file checks


def _guidance_problems(loaded: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Guidance videos (Champ's maps, MagicAnimate's DensePose) hold one frame per driving frame;
    DensePose videos have the output's aspect ratio."""
    from dhcore.animate.magicanimate.config import densepose_size_problem

    animate = loaded.spec.animate
    guidance = getattr(animate, "guidance", None) or {}
    frames = _driving_frames(loaded) if guidance else None
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for kind in guidance:
        path = loaded.files.get(("animate", "guidance", kind))
        try:
            info = probe(path, count_frames=True) if path is not None else None
        except DhError:
            continue  # reported by the file checks
        if info is None:
            continue
        if frames and info.frames != frames:
            problems.append(
                (("animate", "guidance", kind), f"{path}: has {info.frames} frames, the driving motion {frames}; "
                 "a guidance video needs one frame per driving frame")
            )  # fmt: skip
        size = densepose_size_problem(info.width, info.height, animate.width, animate.height)
        if kind == "densepose" and size:
            problems.append((("animate", "guidance", kind), f"{path}: {size}"))
    return problems


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return f"unknown field {err['loc'][-1]!r}"
    return str(err["msg"]).removeprefix("Value error, ").replace("Input should be", "should be")


def _backend_params_problems(
    backend: str, params: dict, loc: tuple[str, ...]
) -> list[tuple[tuple[str | int, ...], str]]:
    """A backend's own params model checks `params` (imported only for the backend a spec names)."""
    from pydantic import ValidationError

    if loc[0] == "animate":
        from dhcore.animate.registry import get_backend
    else:
        from dhcore.shoot.registry import get_backend  # type: ignore[assignment]
    from dhcore.models.registry import missing_problem

    impl = get_backend(backend)
    try:
        parsed = impl.Params(**params)
    except ValidationError as exc:
        return [((*loc, *err["loc"]), f"{_message(err)} (backend {backend})") for err in exc.errors()]
    missing = [p for model_id in impl.model_ids(parsed) if (p := missing_problem(model_id))]
    return [(loc[:1] + (("backend",) if loc[0] == "animate" else ()), m) for m in missing]


def _photo_shoot_problems(loaded: Any) -> list[tuple[tuple[str | int, ...], str]]:
    from dhcore.shoot.checks import identity_problems, look_problem, template_problem

    spec, files = loaded.spec, loaded.files
    backend = spec.identity.face_backend
    photos = [files[("identity", "photos", i)] for i in range(len(spec.identity.photos))]
    problems: list[tuple[tuple[str | int, ...], str]] = [
        (("identity", "photos", i), f"{photos[i]}: {msg}")
        for i, msg in identity_problems(photos, backend).items()
    ]
    for i, look in enumerate(spec.looks):
        template = files.get(("looks", i, "template"))
        if problem := look_problem(spec.backend, look.template is not None, look.prompt is not None):
            problems.append((("looks", i), problem))
        elif template is not None and (problem := template_problem(template, backend)):
            problems.append((("looks", i, "template"), f"{template}: {problem}"))
    params = spec.backend_params
    if spec.backend == "template_swap":
        params = {"face_backend": spec.identity.face_backend, **params}
    return problems + _backend_params_problems(spec.backend, params, ("backend_params",))
