"""Limits on what a spec and the files it names may make dh read, and the file checks behind them.

Without limits a 443-byte YAML (nested aliases) takes minutes, the zero device as a spec grows
to gigabytes and a 20000x20000 PNG takes 2.5 GB to validate. Every limit has a default that
fits real productions and an environment variable to raise it (documented in the README).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from dhcore.errors import InputError


@dataclass(frozen=True)
class Limit:
    env: str
    default: float
    what: str

    def value(self) -> float:
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default
        try:
            value = float(raw)
        except ValueError:
            raise InputError(f"{self.env}={raw!r} is not a number ({self.what})") from None
        if not value > 0:
            raise InputError(f"{self.env}={raw!r} must be positive ({self.what})")
        return value


SPEC_BYTES = Limit("DH_MAX_SPEC_BYTES", 1 << 20, "largest spec file, bytes")
YAML_DEPTH = Limit("DH_MAX_YAML_DEPTH", 50, "deepest nesting of mappings and lists in a spec")
YAML_NODES = Limit("DH_MAX_YAML_NODES", 100_000, "values in a spec after expanding aliases")
INPUT_BYTES = Limit(
    "DH_MAX_INPUT_BYTES", 8 << 30, "largest input file (photo, video, audio, keypoints), bytes"
)
IMAGE_PIXELS = Limit("DH_MAX_IMAGE_PIXELS", 50_000_000, "largest input image, width x height")
VIDEO_FRAMES = Limit("DH_MAX_VIDEO_FRAMES", 108_000, "longest input video, frames (1 h at 30 fps)")
MEDIA_SECONDS = Limit("DH_MAX_MEDIA_SECONDS", 3600, "longest input video or audio, seconds")
KEYPOINT_FRAMES = Limit("DH_MAX_KEYPOINT_FRAMES", 108_000, "longest keypoint sequence or OpenPose folder")
JSON_BYTES = Limit("DH_MAX_JSON_BYTES", 4 << 20, "largest OpenPose JSON file, bytes")
MISSING_FRAMES = Limit(
    "DH_MAX_MISSING_FRAMES", 0.1, "share of a video's frames that may fail to decode before it is an error"
)

ALL = (
    SPEC_BYTES, YAML_DEPTH, YAML_NODES, INPUT_BYTES, IMAGE_PIXELS, VIDEO_FRAMES, MEDIA_SECONDS,
    KEYPOINT_FRAMES, JSON_BYTES, MISSING_FRAMES,
)  # fmt: skip

#: Plausible ranges of what media files declare: anything outside is a corrupt or hostile file.
FPS_RANGE = (0.1, 1000.0)
SIZE_RANGE = (1, 65536)


def fps_problem(fps: object) -> str | None:
    lo, hi = FPS_RANGE
    if not isinstance(fps, int | float) or not lo <= fps <= hi:
        return f"fps {fps!r} is outside the plausible range {lo:g}-{hi:g}"
    return None


def size_problem(width: object, height: object) -> str | None:
    lo, hi = SIZE_RANGE
    if not all(isinstance(v, int) and lo <= v <= hi for v in (width, height)):
        return f"size {width!r}x{height!r} is outside the plausible range {lo}-{hi} pixels per side"
    return None


def special_file_problem(path: Path) -> str | None:
    """FIFOs block a reader forever and devices never end: only regular files and folders are inputs."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "file does not exist"
    except (OSError, ValueError) as exc:
        return f"cannot stat ({exc})"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = (
        "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device or special file"
    )
    return f"is {kind}, not a regular file"


def read_bounded(path: Path, limit: Limit) -> bytes:
    """The bytes of a regular file no larger than the limit; never blocks on a FIFO."""
    if problem := special_file_problem(path):
        raise InputError(f"{path}: {problem}")
    most = int(limit.value())
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the check above
            raise InputError(f"{path}: is not a regular file")
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, most + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > most:
                raise InputError(f"{path}: larger than {most} bytes ({limit.env} raises the limit)")
        return b"".join(chunks)
    finally:
        os.close(fd)


def under(path: Path, roots: list[Path]) -> bool:
    return any(path.is_relative_to(r) for r in roots)


def folder_entries(folder: Path, pattern: str) -> list[Path]:
    """Files matching `pattern` in a referenced folder, each resolved and kept inside that folder.

    A symlink in the folder to a file elsewhere (the system's password hashes, say) would let a
    spec read any file, and the store would copy it: such entries, and special files, are errors.
    """
    base = folder.resolve()
    out = []
    for entry in folder.glob(pattern):
        target = entry.resolve()
        if not target.is_relative_to(base):
            raise InputError(f"{entry} resolves to {target}, outside its folder {base}")
        if problem := special_file_problem(target):
            raise InputError(f"{entry}: {problem}")
        if target.is_file():
            out.append(entry)
    return out
