"""Stage `pose.extract`: keypoints of the person in a photo or in every frame of a video.

A photo (by file suffix) gives a 1-frame PoseSequence (fps 1) and must show a person (of a
group photo, the one `extract_people` chooses: the largest, most central, or `person`); a photo
cut off at the neck keeps only its face points (see `_head_only`), with a warning; a video
is decoded in chunks of CHUNK frames and fed, in order, to one warm detector in video
(tracking) mode, and must show a body in at least one frame. A driving video that shows several
people in its first frames has one of them followed, in windows around where they were
(`track_person`), with a warning. The detector is `mediapipe`
(embedded) or `dwpose` (ONNX weights from the model registry).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

import cv2
import numpy as np
from pydantic import Field

from dhcore.errors import InputError
from dhcore.media.frames import iter_frames, probe
from dhcore.pose import track_person
from dhcore.pose.detectors import DETECTORS
from dhcore.pose.extract_people import choose_person, detect_person, find_faces
from dhcore.pose.keypoints import FACE_JOINTS, J, PoseSequence
from dhcore.stage import (
    InputValue,
    Output,
    Progress,
    StageContext,
    StageDef,
    StageParams,
    StageResult,
    no_progress,
    port,
)

NAME = "pose.extract"
VERSION = "3"
CHUNK = 16
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})
#: a frame "shows a body" when at least this many body joints reach VISIBLE confidence
MIN_JOINTS, VISIBLE = 3, 0.3


class Params(StageParams):
    detector: Literal["mediapipe", "dwpose"] = "mediapipe"
    #: mediapipe only: "body" skips hands and face (about twice as fast); dwpose always gives all
    parts: Literal["all", "body"] = "all"
    #: photos only: which person, counted left to right from 0 (None: the largest, most central)
    person: int | None = Field(None, ge=0)


class Detector(Protocol):
    name: str

    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...

    def close(self) -> None: ...


def model_ids(params: Params) -> list[str]:
    """Registry ids whose weights enter the cache key (MediaPipe's models ship in its wheel)."""
    return list(DETECTORS[params.detector].model_ids)


def open_detector(params: Params, video: bool, models_root: Path | None = None) -> Detector:
    """One warm detector for a whole stage run (a video detector tracks, so it is not shared)."""
    return DETECTORS[params.detector].load().open(params, video, models_root)  # type: ignore[no-any-return]


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def read_image(path: Path) -> np.ndarray:
    """An RGB uint8 image, or an InputError naming the file."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise InputError(f"{path}: cannot read image ({exc})") from exc
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if bgr is None:
        raise InputError(f"{path}: not a readable image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def shows_body(body: np.ndarray) -> bool:
    return int(((body[:, 2] >= VISIBLE) & np.isfinite(body[:, 0])).sum()) >= MIN_JOINTS


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("source", "image", "video"),),
    outputs=(port("pose", "pose"),),
    impl="dhcore.pose.extract:run",
    model_ids=model_ids,
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Detect poses in the source (photo or video) and save them as a PoseSequence."""
    source, out_path = Path(inputs["source"]), Path(out_dir) / "pose.npz"
    progress, models_root = ctx.progress, ctx.models_root
    warnings: list[str] = []
    if is_image(source):
        pose, warnings = _extract_photo(source, params, models_root)
        detected = [1.0]
        progress(1, 1)
    else:
        pose, detected = _extract_video(source, params, progress, models_root, warnings)
    pose.save(out_path)
    rate = float(np.mean(detected))
    if rate < 0.5:
        warnings.append(f"{source.name}: a body was found in only {rate:.0%} of the frames")
    meta = {"frames": len(pose), "width": pose.width, "height": pose.height, "fps": pose.fps,
            "detector": params.detector}  # fmt: skip
    return StageResult(
        outputs={"pose": Output(path=out_path, kind="pose", meta=meta)},
        metrics={"detected_rate": rate, "frames": float(len(pose))},
        series={"pose_detected": detected},
        frames=len(pose),
        warnings=warnings,
    )


#: photos and driving videos longer than this many times their width (or wider than tall) are strips,
#: not portraits: the pose detector shrinks a frame to its square input, where the person of a 6:1 strip
#: is too small to find (a driving video's run would fail with "no visible body" in frames that show one)
MAX_ASPECT = 4.0


def aspect_problem(width: int, height: int, media: Literal["photo", "video"]) -> str | None:
    """Why a photo or driving video of this size is refused (its aspect is over MAX_ASPECT), or None:
    the one message of both the run and `dh validate` (which puts it at the spec's field)."""
    if max(width / height, height / width) <= MAX_ASPECT:
        return None
    who = "person" if media == "photo" else "dancer"
    return f"the {media} is {width}x{height}, an aspect ratio over {MAX_ASPECT:g}:1; crop it around the {who}"


def driver_problem(path: Path) -> str | None:
    """What `run` says of a driving video before it detects anything, or None: `dh validate` says the
    same at motion.path."""
    info = probe(path)
    return aspect_problem(info.width, info.height, "video")


def _extract_photo(path: Path, params: Params, models_root: Path | None) -> tuple[PoseSequence, list[str]]:
    rgb = read_image(path)
    if problem := aspect_problem(rgb.shape[1], rgb.shape[0], "photo"):
        raise InputError(f"{path}: {problem}")
    choice = choose_person(find_faces(rgb), params.person, str(path))
    detector = open_detector(params, video=False, models_root=models_root)
    try:
        body, hands, face = detect_person(detector, rgb, choice)
    finally:
        detector.close()
    if not shows_body(body):
        who = "no person" if choice.index is None else f"no body for person {choice.index}"
        raise InputError(f"{path}: {who} found in the reference photo (detector {params.detector})")
    warning = choice.warning(str(path))
    warnings = [warning] if warning else []
    if _cut_at_neck(body):
        body, hands = _head_only(body, hands)
        shown_head = int((body[FACE_JOINTS, 2] >= VISIBLE).sum())
        if shown_head < 2:
            raise InputError(
                f"{path}: the person is cut off at the neck and only {shown_head} point of the face is "
                f"found (detector {params.detector}): nothing to turn or place a head by"
            )
        warnings.append(
            f"{path}: only a head is shown (cut off at the neck): its position, size and tilt follow the "
            "driver; the body's motion is not shown"
        )
    h, w = rgb.shape[:2]
    return PoseSequence(body[None], hands[None], face[None], w, h, 1.0), warnings


def _cut_at_neck(body: np.ndarray) -> bool:
    """A face whose neck and shoulders are not in the photo: MediaPipe guesses them below the bottom
    edge (confidently)."""
    if body[J["nose"], 2] < VISIBLE or not np.isfinite(body[J["nose"], 0]):
        return False
    neck = body[J["neck"]]
    if neck[2] < VISIBLE or not np.isfinite(neck[1]):
        return True
    base = body[[J["neck"], J["r_shoulder"], J["l_shoulder"]]]
    return bool(((base[:, 2] >= VISIBLE) & (base[:, 1] > 1.0)).any())  # NaN compares False


def _head_only(body: np.ndarray, hands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The face points alone: the neck, shoulders and the rest are the detector's guesses below the
    photo's edge, and animated from there they dragged the edge's pixels along as a neck. Without
    them the animators move the head (and what of the collar the photo shows) as one rigid piece."""
    body, hands = body.copy(), np.full_like(hands, np.nan)
    hands[..., 2] = 0.0
    guessed = np.setdiff1d(np.arange(len(body)), FACE_JOINTS)
    body[guessed] = (np.nan, np.nan, 0.0)
    return body, hands


def reference_problem(path: Path, params: Params, warnings: list[str] | None = None) -> str | None:
    """What `run` would say about this reference photo, or None: `dh validate` runs the same
    person choice and detector as the production will, and gives its warnings (which person of
    a group photo is animated) to `warnings`."""
    try:
        _, found = _extract_photo(Path(path), params, None)
    except InputError as exc:
        return str(exc).removeprefix(f"{path}: ")
    if warnings is not None:
        warnings.extend(w.removeprefix(f"{path}: ") for w in found)
    return None


def detect_video(
    path: Path, params: Params, progress: Progress = no_progress, models_root: Path | None = None,
    detector: Detector | None = None, warnings: list[str] | None = None,
) -> tuple[PoseSequence, list[float]]:  # fmt: skip
    """Poses of every frame of a video (or frames file) with one warm detector, streamed in chunks;
    also whether each frame shows a body. Used for driving videos and to re-detect output frames
    (the metrics pass their own `detector`, which also segments the person; it is closed here).
    With `warnings` (driving videos), a video showing several people in its first frames has one
    of them followed (`track_person`), and what was done is appended there."""
    info = probe(path)
    fps = float(info.fps) if info.fps else 0.0
    if fps <= 0:
        raise InputError(f"{path}: the video has no frame rate")
    bodies, hands, faces, depths, detected = [], [], [], [], []
    tracker: track_person.Tracker | None = None
    try:
        for chunk in iter_frames(path, chunk=CHUNK):
            if detector is None:
                tracker = _tracker(path, chunk, warnings) if warnings is not None else None
                detector = open_detector(params, video=tracker is None, models_root=models_root)
            for rgb in chunk:
                if tracker is not None:
                    b, hd, f, _ = tracker.detect(detector, rgb)
                else:
                    b, hd, f = detector.detect(rgb)
                depth = getattr(detector, "depth", None)
                if depth is not None:
                    scale = tracker.depth_scale if tracker is not None else 1.0
                    depths.append(np.where(b[:, 2] > 0, depth * scale, np.nan).astype(np.float32))
                bodies.append(b)
                hands.append(hd)
                faces.append(f)
                detected.append(1.0 if shows_body(b) else 0.0)
            progress(len(bodies), info.frames or None)
    finally:
        if detector is not None:
            detector.close()
    if not bodies:
        raise InputError(f"{path}: the video has no frames")
    depth = np.stack(depths) if len(depths) == len(bodies) else None
    pose = PoseSequence(
        np.stack(bodies), np.stack(hands), np.stack(faces), info.width, info.height, fps, depth
    )
    lost = int(len(detected) - sum(detected))
    if tracker is not None and warnings is not None and lost:
        warnings.append(f"{path.name}: the followed person was not found in {lost} of {len(detected)} frames; "
                        "those frames are marked missing")  # fmt: skip
    return pose, detected


#: frames searched for people at the start of a driving video
PEOPLE_FRAMES = 3


def _tracker(path: Path, chunk: np.ndarray, warnings: list[str]) -> track_person.Tracker | None:
    """A tracker on the largest, most central person when the first frames show several, else None."""
    h, w = chunk.shape[1:3]
    found = max((track_person.find_people(rgb) for rgb in chunk[:PEOPLE_FRAMES]), key=len)
    if len(found) < 2:
        return None
    start = track_person.choose(found, w, h)
    warnings.append(
        f"{path.name}: the driving video shows {len(found)} people; following one of them, the largest and "
        f"most central (first seen at x {start.cx / w:.0%}, y {start.cy / h:.0%} of the frame); "
        "crop the video to the dancer to choose another"
    )
    return track_person.Tracker(start)


def _extract_video(
    path: Path, params: Params, progress: Progress, models_root: Path | None, warnings: list[str]
) -> tuple[PoseSequence, list[float]]:
    if problem := driver_problem(path):
        raise InputError(f"{path}: {problem}")
    pose, detected = detect_video(path, params, progress, models_root, warnings=warnings)
    if not any(detected):
        raise InputError(
            f"{path}: no visible body in any of its {len(pose)} frames (detector {params.detector})"
        )
    return pose, detected
