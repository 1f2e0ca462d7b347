"""Checks of the files a spec references, run by `dh validate` before any work starts.

Each check returns None when the file is usable, or a short message saying what is wrong.
"""

from __future__ import annotations

import os
import warnings as warnings_module
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from PIL import Image

from dhcore import limits
from dhcore.errors import DhError
from dhcore.media.frames import probe
from dhcore.pose.keypoints import PoseSequence


def check_exists(path: Path, kind: str) -> str | None:
    if problem := limits.special_file_problem(path):
        return problem
    if kind == "openpose_dir":
        return None if path.is_dir() else "is not a folder"
    if not path.is_file():
        return "is not a file"
    if not os.access(path, os.R_OK):
        return "file is not readable (permission denied)"
    most = limits.INPUT_BYTES.value()
    if path.stat().st_size > most:
        return f"larger than {most:.0f} bytes (DH_MAX_INPUT_BYTES raises the limit)"
    return None


def _image(path: Path, warnings: list[str]) -> str | None:
    """The size is read from the header first: a 20000x20000 PNG is refused before it is decoded."""
    try:
        with warnings_module.catch_warnings():
            warnings_module.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
    except Image.DecompressionBombError:
        width = height = None
    except Exception:  # noqa: BLE001 - PIL raises many types for a broken header; OpenCV may still read it
        width = height = 0
    most = limits.IMAGE_PIXELS.value()
    if width is None or (width and width * height > most):
        size = f"{width}x{height}" if width else "larger than PIL's own limit"
        return (
            f"image is too large ({size}; more than {most:.0f} pixels, DH_MAX_IMAGE_PIXELS raises the limit)"
        )
    if not width:  # no header PIL knows: decode only a small file to find out
        if path.stat().st_size > 64 << 20:
            return "not a readable image (PNG, JPEG, WebP, ...)"
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        return "not a readable image (PNG, JPEG, WebP, ...)"
    if img.shape[0] * img.shape[1] > most:
        return f"image is too large ({img.shape[1]}x{img.shape[0]}; DH_MAX_IMAGE_PIXELS raises the limit)"
    if min(img.shape[:2]) < 32:
        return f"image is too small ({img.shape[1]}x{img.shape[0]})"
    return None


def _video(path: Path, warnings: list[str]) -> str | None:
    """Header figures within limits, then a count of the frames that really demux."""
    try:
        header = probe(path)
        if problem := _video_header_problem(header):
            return problem
        counted = probe(path, count_frames=True).frames
    except DhError as exc:
        return str(exc).removeprefix(f"{path}: ")
    if counted == 0:
        return "video has no frames"
    declared = header.frames
    if declared and counted < declared:
        missing = declared - counted
        share = limits.MISSING_FRAMES.value()
        message = (
            f"only {counted} of the {declared} frames its header declares can be read (truncated or corrupt?)"
        )
        if missing > share * declared:
            return f"{message}; more than {share:.0%} missing (DH_MAX_MISSING_FRAMES)"
        warnings.append(message)
    return None


def _video_header_problem(info: Any) -> str | None:
    if not info.fps:
        return "video has no frame rate"
    if problem := limits.fps_problem(float(info.fps)):
        return problem
    if problem := limits.size_problem(info.width, info.height):
        return problem
    most_frames, most_seconds = limits.VIDEO_FRAMES.value(), limits.MEDIA_SECONDS.value()
    if info.frames > most_frames:
        return f"{info.frames} frames, more than {most_frames:.0f} (DH_MAX_VIDEO_FRAMES raises the limit)"
    if info.duration > most_seconds:
        return f"{info.duration:.0f} s long, more than {most_seconds:.0f} s (DH_MAX_MEDIA_SECONDS raises the limit)"
    return None


def _keypoints(path: Path, warnings: list[str]) -> str | None:
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


def _openpose_dir(path: Path, warnings: list[str]) -> str | None:
    try:
        files = limits.folder_entries(path, "*.json")
    except DhError as exc:
        return str(exc)
    if not files:
        return "folder holds no OpenPose .json files"
    most = limits.KEYPOINT_FRAMES.value()
    if len(files) > most:
        return f"{len(files)} frames, more than {most:.0f} (DH_MAX_KEYPOINT_FRAMES raises the limit)"
    return None


def _audio(path: Path, video_ok: bool) -> str | None:
    try:
        with av.open(str(path)) as c:
            if not c.streams.audio:
                return "has no audio track" if video_ok else "is not an audio file"
            seconds = c.duration / 1_000_000 if c.duration else 0.0
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        return f"not a readable audio file ({exc})"
    if seconds > (most := limits.MEDIA_SECONDS.value()):
        return f"{seconds:.0f} s long, more than {most:.0f} s (DH_MAX_MEDIA_SECONDS raises the limit)"
    return None


CHECKS: dict[str, Callable[[Path, list[str]], str | None]] = {
    "image": _image,
    "video": _video,
    "keypoints": _keypoints,
    "openpose_dir": _openpose_dir,
    "audio": lambda p, w: _audio(p, video_ok=False),
    "audio_or_video": lambda p, w: _audio(p, video_ok=True),
}


def check_file(path: Path, kind: str, warnings: list[str] | None = None) -> str | None:
    """None when the file is usable, else the problem; usable-but-suspect findings go to `warnings`."""
    if problem := check_exists(path, kind):
        return problem
    try:
        return CHECKS[kind](path, [] if warnings is None else warnings)
    except OSError as exc:
        return f"cannot read: {exc}"


#: the kinds built on the face mesh (dhcore.facemesh.checks)
FACE_KINDS = ("face_edit", "talking_head", "face_reenact")


def check_spec(loaded: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Checks that need the whole spec (content of several fields together)."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    spec = loaded.spec
    if spec.kind == "dance_video":
        motion = loaded.files.get(("motion", "path"))
        if spec.output.audio.source == "driving" and motion is not None and not probe(motion).has_audio:
            problems.append((("output", "audio", "source"), f"driving video {motion} has no audio track"))
        from dhcore.pose import extract

        if spec.motion.type == "video" and motion is not None and (problem := extract.driver_problem(motion)):
            problems.append((("motion", "path"), f"{motion}: {problem}"))
        photo = loaded.files.get(("subject", "image"))
        if photo is not None:
            params = extract.Params(detector=spec.pose.detector, person=spec.subject.person)
            found: list[str] = []
            if problem := _reference_pose_problem(photo, params, found):
                where = ("subject", "person") if "subject.person" in problem else ("subject", "image")
                problems.append((where, f"{photo}: {problem}"))
            loaded.warnings.extend(f"subject.image: {photo}: {w}" for w in found)
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
    elif spec.kind == "try_on":
        from dhcore.tryon.checks import spec_problems

        problems += spec_problems(loaded)
    elif spec.kind == "face_swap":
        from dhcore.faceswap.checks import spec_problems as face_swap_problems

        problems += face_swap_problems(loaded)
    elif spec.kind in FACE_KINDS:
        from dhcore.facemesh.checks import spec_problems as face_problems

        problems += face_problems(loaded)
        if spec.kind == "face_reenact":
            from dhcore.reenact.checks import backend_problems

            problems += backend_problems(spec)
    return problems + _licence_problems(spec)


def _licence_problems(spec: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """`licence: commercial` against the licences of the models the spec names (once its params parse)."""
    from pydantic import ValidationError

    from dhcore.models.licences import commercial_problems

    try:
        return commercial_problems(spec)
    except ValidationError:  # bad backend params: reported above
        return []


def _reference_pose_problem(photo: Path, params: Any, warnings: list[str]) -> str | None:
    """The run's own person choice and pose detector on the photo (a detector whose weights are
    missing is reported by the model checks instead)."""
    from dhcore.pose import extract

    try:
        return extract.reference_problem(photo, params, warnings)
    except DhError:
        return None


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


def _canvas(loaded: Any) -> tuple[int, int]:
    """The output size the run will use: the spec's, or the photo's aspect (read from its header)."""
    from PIL import Image

    from dhcore.spec.dance import canvas_size

    animate = loaded.spec.animate
    if animate.width is not None and animate.height is not None:
        return animate.width, animate.height
    with Image.open(loaded.files[("subject", "image")]) as photo:
        return canvas_size(loaded.spec, photo.size)


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
        size = kind == "densepose" and densepose_size_problem(info.width, info.height, *_canvas(loaded))
        if size:
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
        from dhcore.animate.registry import entry as animate_entry

        impl: Any = animate_entry(backend)  # the torch-free tables: validating never loads torch
        params_model, model_ids = impl.Params, impl.ids
    else:
        from dhcore.shoot.registry import entry as shoot_entry

        impl = shoot_entry(backend)
        params_model, model_ids = impl.Params, impl.model_ids
    from dhcore.models.registry import missing_problem

    try:
        parsed = (
            params if isinstance(params, params_model) else params_model(**params)
        )  # typed in the spec, or a dict
    except ValidationError as exc:
        return [((*loc, *err["loc"]), f"{_message(err)} (backend {backend})") for err in exc.errors()]
    missing = [p for model_id in model_ids(parsed) if (p := missing_problem(model_id))]
    return [(loc[:1] + (("backend",) if loc[0] == "animate" else ()), m) for m in missing]


def _photo_shoot_problems(loaded: Any) -> list[tuple[tuple[str | int, ...], str]]:
    from dhcore.shoot.checks import identity_problems, look_problem, template_problem

    spec, files = loaded.spec, loaded.files
    backend = spec.identity.face_backend
    photos = [files[("identity", "photos", i)] for i in range(len(spec.identity.photos))]
    face = spec.identity.face
    problems: list[tuple[tuple[str | int, ...], str]] = [
        (
            ("identity", "face") if msg.startswith(f"no face {face} ") else ("identity", "photos", i),
            f"{photos[i]}: {msg}",
        )
        for i, msg in identity_problems(photos, backend, face=face).items()
    ]
    flagged = {loc[2] for loc, _ in problems if len(loc) > 2}
    for i, photo in enumerate(photos):
        if face is None and i not in flagged and (problem := group_photo_problem(photo, backend)):
            problems.append((("identity", "photos", i), f"{photo}: {problem}"))
    for i, look in enumerate(spec.looks):
        template = files.get(("looks", i, "template"))
        if problem := look_problem(spec.backend, look.template is not None, look.prompt is not None):
            problems.append((("looks", i), problem))
        elif template is not None and (problem := template_problem(template, backend)):
            problems.append((("looks", i, "template"), f"{template}: {problem}"))
    return problems + _backend_params_problems(spec.backend, spec.backend_call_params(), ("backend_params",))


#: the largest face must be this many times wider than the next to be taken as the identity
DOMINANT = 1.5


def group_photo_problem(path: Path, backend: str) -> str | None:
    """An identity photo showing several faces of similar size: which one is meant is a guess.

    A 6-person group photo used to become "the identity" (an average of strangers) and the shoot
    then delivered nothing; one clearly larger face (a portrait with people behind) is fine.
    """
    from dhcore.shoot.faces import CONFIDENT_SHARE, find_faces, shared_analyzer

    try:
        found = find_faces(path, shared_analyzer(backend))
    except DhError:
        return None  # unreadable or faceless: identity_problems reports it
    best = max((f.score for f in found.faces), default=0.0)
    faces = sorted((f for f in found.faces if f.score >= CONFIDENT_SHARE * best), key=lambda f: -f.size)
    if len(faces) < 2 or faces[0].size >= DOMINANT * faces[1].size:
        return None
    height, width = found.image.shape[:2]
    ordered = sorted(faces, key=lambda f: float(f.box[0] + f.box[2]))
    where = ", ".join(
        f"{i} at ({100 * (f.box[0] + f.box[2]) / 2 / width:.0f}%, {100 * (f.box[1] + f.box[3]) / 2 / height:.0f}%)"
        for i, f in enumerate(ordered[:8])
    )
    return (
        f"{len(faces)} faces of similar size; which one is the identity? Set identity.face: N (counted left "
        f"to right from 0; centres as % of width, height: {where}), or crop the photo to that person"
    )
