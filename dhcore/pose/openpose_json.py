"""Stage `pose.import_openpose`: a folder of per-frame OpenPose JSON files -> a PoseSequence.

One file per frame, taken in natural name order (frame_2 before frame_10). Each file is
OpenPose's output: {"people": [{"pose_keypoints_2d": [x, y, c, ...], "hand_left_keypoints_2d",
"hand_right_keypoints_2d", "face_keypoints_2d"}], optional "canvas_width"/"canvas_height"}.
Coordinates are pixels of a canvas whose size the caller gives (spec: motion.width/height) or
the file's canvas fields give. The body may be COCO-18 (54 numbers; dh's own order) or BODY_25
(75 numbers; mapped); the face 68 or 70 points (the 2 pupils are dropped). A point with
confidence 0 is missing. With several people the one with the highest total body confidence
is taken.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
from pydantic import Field

from dhcore import limits
from dhcore.errors import InputError
from dhcore.pose.extract import shows_body
from dhcore.pose.keypoints import N_BODY, N_FACE, N_HAND, PoseSequence
from dhcore.stage import (
    InputValue,
    Output,
    StageContext,
    StageDef,
    StageParams,
    StageResult,
    port,
)

NAME = "pose.import_openpose"
VERSION = "1"

#: OpenPose-18 index -> BODY_25 index (BODY_25 adds mid-hip 8 and six foot points).
BODY18_FROM_BODY25 = (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)


class Params(StageParams):
    width: int | None = Field(None, gt=0, description="canvas width; default: the files' canvas_width")
    height: int | None = Field(None, gt=0, description="canvas height; default: the files' canvas_height")
    fps: float = Field(24.0, gt=0, le=240)


def _natural_key(path: Path) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def _points(path: Path, person: dict, key: str, counts: tuple[int, ...]) -> np.ndarray | None:
    """[n, 3] pixel points with conf; None when the key is absent or empty."""
    raw = person.get(key)
    if raw is None or (isinstance(raw, list) and not raw):
        return None
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{path}: {key} is not a list of numbers ({exc})") from None
    if arr.ndim != 1 or arr.size % 3 or arr.size // 3 not in counts:
        want = " or ".join(str(3 * c) for c in counts)
        raise InputError(f"{path}: {key} has {arr.size} numbers, expected {want}")
    return arr.reshape(-1, 3)


def _normalize(pts: np.ndarray, width: int, height: int) -> np.ndarray:
    out = np.empty_like(pts, dtype=np.float32)
    ok = (pts[:, 2] > 0) & np.isfinite(pts[:, :2]).all(axis=1)
    out[:, 0] = np.where(ok, pts[:, 0] / width, np.nan)
    out[:, 1] = np.where(ok, pts[:, 1] / height, np.nan)
    out[:, 2] = np.where(ok, np.clip(pts[:, 2], 0, 1), 0.0)
    return out


def _finite_number(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) or isinstance(v, float) and math.isfinite(v)


def read_frame(
    path: Path, width: int | None, height: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """One file -> body [18,3], hands [2,21,3], face [68,3] (normalized) and the canvas size used."""
    try:
        doc = json.loads(limits.read_bounded(Path(path), limits.JSON_BYTES))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("people", []), list):
        raise InputError(f"{path}: expected an object with a 'people' list (OpenPose JSON)")
    w = width or doc.get("canvas_width")
    h = height or doc.get("canvas_height")
    numbers = all(_finite_number(v) for v in (w, h))
    if not numbers or w <= 0 or h <= 0:  # type: ignore[operator]
        raise InputError(
            f"{path}: image size unknown; give motion width/height or canvas_width/canvas_height in the file"
        )
    w, h = int(w), int(h)  # type: ignore[arg-type]
    if problem := limits.size_problem(w, h):
        raise InputError(f"{path}: canvas {problem}")
    body = np.full((N_BODY, 3), np.nan, np.float32)
    hands = np.full((2, N_HAND, 3), np.nan, np.float32)
    face = np.full((N_FACE, 3), np.nan, np.float32)
    body[:, 2] = hands[..., 2] = face[:, 2] = 0.0
    people = [p for p in doc.get("people", []) if isinstance(p, dict)]
    if len(people) != len(doc.get("people", [])):
        raise InputError(f"{path}: every entry of 'people' must be an object")
    parsed = []
    for person in people:
        b = _points(path, person, "pose_keypoints_2d", (18, 25))
        if b is not None and len(b) == 25:
            b = b[list(BODY18_FROM_BODY25)]
        parsed.append((b, person))
    if parsed:
        b, person = max(parsed, key=lambda bp: -1.0 if bp[0] is None else float(np.nansum(bp[0][:, 2])))
        if b is not None:
            body = _normalize(b, w, h)
        for k, key in enumerate(("hand_left_keypoints_2d", "hand_right_keypoints_2d")):
            if (hp := _points(path, person, key, (N_HAND,))) is not None:
                hands[k] = _normalize(hp, w, h)
        if (fp := _points(path, person, "face_keypoints_2d", (68, 70))) is not None:
            face = _normalize(fp[:N_FACE], w, h)
    return body, hands, face, (w, h)


def read_folder(
    folder: Path, width: int | None = None, height: int | None = None, fps: float = 24.0
) -> PoseSequence:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of OpenPose JSON files")
    files = sorted(limits.folder_entries(folder, "*.json"), key=_natural_key)
    if not files:
        raise InputError(f"{folder}: contains no .json files")
    most = int(limits.KEYPOINT_FRAMES.value())
    if len(files) > most:
        raise InputError(
            f"{folder}: {len(files)} frames, more than {most} (DH_MAX_KEYPOINT_FRAMES raises the limit)"
        )
    bodies, hands, faces, sizes = [], [], [], set()
    for path in files:
        b, hd, f, size = read_frame(path, width, height)
        bodies.append(b)
        hands.append(hd)
        faces.append(f)
        sizes.add(size)
    if len(sizes) > 1:
        raise InputError(f"{folder}: files give different canvas sizes {sorted(sizes)}; pass width/height")
    if not any(shows_body(b) for b in bodies):
        raise InputError(f"{folder}: no visible body in any of its {len(files)} files")
    w, h = sizes.pop()
    return PoseSequence(np.stack(bodies), np.stack(hands), np.stack(faces), w, h, fps)


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("folder", "openpose_dir"),),
    outputs=(port("pose", "pose"),),
    impl="dhcore.pose.openpose_json:run",
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Read an OpenPose JSON folder and save it as a PoseSequence file."""
    out_path = Path(out_dir) / "pose.npz"
    pose = read_folder(Path(inputs["folder"]), params.width, params.height, params.fps)
    pose.save(out_path)
    ctx.progress(len(pose), len(pose))
    detected = [1.0 if shows_body(b) else 0.0 for b in pose.body]
    meta = {"width": pose.width, "height": pose.height, "fps": pose.fps, "frames": len(pose)}
    return StageResult(
        outputs={"pose": Output(path=Path(out_path), kind="pose", meta=meta)},
        metrics={"detected_rate": float(np.mean(detected)), "frames": float(len(pose))},
        series={"pose_detected": detected},
        frames=len(pose),
    )
