"""Real photos and a real video of people, taken from installed packages (never committed).

Where they come from, and how a developer gets them:
- Python packages in the venv: scikit-image's `astronaut` (half body, an arm held in front),
  matplotlib's `grace_hopper` (head and shoulders), insightface's `t1` (six people at a table) and
  `Tom_Hanks_54745` (a face crop).
- Debian's `opencv-doc` (`apt-get install opencv-doc`, done by `.ci/run`): `messi5.jpg` (a full-body
  sports photo), `basketball1.png` (two people, grayscale, indoors: the left one is full-body with
  both arms held in front of the torso) and `vtest.avi` (768x576, 10 fps, pedestrians filmed from a
  window: the real walking motion).
- Debian's `pocketsphinx-testdata`: `speech`, a LibriVox recording of a person reading aloud (real
  speech with its pauses, for the talking head's lip sync).

`path(name)` skips the calling test with the install hint when the file is absent; scripts call
`locate(name)`, which raises `Missing` instead. `pedestrian_clip` turns vtest.avi into a driving
video of one walking person (a crop that follows them), since its people are ~90 px tall.
"""

from __future__ import annotations

import importlib.util
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
OPENCV_HINT = "apt-get install opencv-doc (Debian; .ci/run installs it)"
SPEECH_DATA = Path("/usr/share/pocketsphinx/test/data")
SPEECH_HINT = "apt-get install pocketsphinx-testdata (Debian; .ci/run installs it)"


def _in_package(package: str, *parts: str) -> tuple[Path | None, str]:
    spec = importlib.util.find_spec(package)
    root = Path(spec.origin).parent if spec and spec.origin else None
    return (root.joinpath(*parts) if root else None), f"pip install {package} (in the dh venv)"


SOURCES: dict[str, tuple[Path | None, str]] = {
    "astronaut": _in_package("skimage", "data", "astronaut.png"),
    "grace_hopper": _in_package("matplotlib", "mpl-data", "sample_data", "grace_hopper.jpg"),
    "six_people": _in_package("insightface", "data", "images", "t1.jpg"),
    "face_crop": _in_package("insightface", "data", "images", "Tom_Hanks_54745.png"),
    "footballer": (OPENCV_DATA / "messi5.jpg", OPENCV_HINT),
    "basketball": (OPENCV_DATA / "basketball1.png", OPENCV_HINT),
    "pedestrians": (OPENCV_DATA / "vtest.avi", OPENCV_HINT),
    # a LibriVox reader (public domain) reading Sense and Sensibility, 7.1 s, 16 kHz
    "speech": (SPEECH_DATA / "librivox" / "sense_and_sensibility_01_austen_64kb-0870.wav", SPEECH_HINT),
}

#: crops of a source photo that show one person: name -> (source, x0, y0, x1, y1) in source pixels
CROPS = {
    # the left player, head to shoes, both forearms held in front of the torso around the ball
    "arms_in_front": ("basketball", 0, 40, 250, 480),
}


class Missing(RuntimeError):
    """A real-data file is not installed on this machine."""


def locate(name: str) -> Path:
    """The installed file of `name` (of its source photo, for a crop), or Missing with how to install it."""
    found, hint = SOURCES[CROPS[name][0] if name in CROPS else name]
    if found is None or not found.is_file():
        raise Missing(f"real test data '{name}' is not installed ({found}): {hint}")
    return found


def path(name: str) -> Path:
    """`locate` for tests: skips the test, with the reason, when the file is absent."""
    import pytest

    try:
        return locate(name)
    except Missing as exc:
        pytest.skip(str(exc))


def rgb(name: str) -> np.ndarray:
    """A photo (or a CROPS entry) as RGB uint8."""
    if name in CROPS:
        source, x0, y0, x1, y1 = CROPS[name]
        return np.ascontiguousarray(rgb(source)[y0:y1, x0:x1])
    return cv2.cvtColor(cv2.imread(str(locate(name)), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def write_photo(name: str, out: Path) -> Path:
    """Save `name` (a photo or a crop) as PNG at `out`, for stages that read files."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), cv2.cvtColor(rgb(name), cv2.COLOR_RGB2BGR))
    return out


#: the walker followed in vtest.avi: starting centre (x, y) in source pixels and first frame
WALKER_START = (660.0, 285.0)
WALKER_FRAME = 0
#: crop side in source pixels (the walker is ~90 px tall) and the clip's side in pixels
CROP_SIDE, CLIP_SIDE = 150, 384


def pedestrian_clip(out: Path, frames: int = 24) -> Path:
    """A raw-video (NUT) clip of one real person walking, `CLIP_SIDE` square at vtest.avi's 10 fps.

    A square window follows the walker: MediaPipe finds them in the upscaled window, and the window
    re-centres on their hips and shoulders (smoothed), so the person stays whole and centred. After
    about 25 frames (2.5 s) a sign post hides them and other people cross: keep `frames` <= 25.
    """
    from dhcore.media.frames import FrameWriter
    from dhcore.pose.extract_mediapipe import MediaPipeDetector

    cap = cv2.VideoCapture(str(locate("pedestrians")))
    cap.set(cv2.CAP_PROP_POS_FRAMES, WALKER_FRAME)
    centre = np.array(WALKER_START)
    detector = MediaPipeDetector(video=False, parts="body")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FrameWriter(out, Fraction(10), CLIP_SIDE, CLIP_SIDE) as writer:
            for _ in range(frames):
                ok, bgr = cap.read()
                if not ok:
                    break
                frame = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                window = _window(frame, centre)
                body = detector.detect(window)[0]
                torso = body[[1, 2, 5, 8, 11]]
                seen = torso[(torso[:, 2] >= 0.3) & np.isfinite(torso[:, 0])]
                if len(seen) >= 2:
                    found = centre + (seen[:, :2].mean(axis=0) - 0.5) * CROP_SIDE
                    centre = 0.5 * centre + 0.5 * found
                    window = _window(frame, centre)
                writer.write(window)
    finally:
        detector.close()
        cap.release()
    return out


def _window(frame: np.ndarray, centre: np.ndarray) -> np.ndarray:
    half = CROP_SIDE / 2
    x0, y0 = centre - half
    m = np.float32([[CLIP_SIDE / CROP_SIDE, 0, -x0 * CLIP_SIDE / CROP_SIDE],
                    [0, CLIP_SIDE / CROP_SIDE, -y0 * CLIP_SIDE / CROP_SIDE]])  # fmt: skip
    return cv2.warpAffine(
        frame, m, (CLIP_SIDE, CLIP_SIDE), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT
    )


def street_clip(out: Path, frames: int = 30) -> Path:
    """The first `frames` frames of vtest.avi, uncropped (several people walking), as a raw-video clip."""
    from dhcore.media.frames import FrameWriter

    cap = cv2.VideoCapture(str(locate("pedestrians")))
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FrameWriter(out, Fraction(10), 768, 576) as writer:
            for _ in range(frames):
                ok, bgr = cap.read()
                if not ok:
                    break
                writer.write(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    finally:
        cap.release()
    return out


#: the part of vtest.avi's view nobody crosses in its first 30 frames (a building, a path and a lawn):
#: x0, y0, x1, y1 in source pixels
EMPTY_VIEW = (0, 0, 250, 150)


def empty_scene_clip(out: Path, frames: int = 20) -> Path:
    """A real scene with nobody in it (EMPTY_VIEW of vtest.avi, 2x), as a raw-video clip."""
    from dhcore.media.frames import FrameWriter

    x0, y0, x1, y1 = EMPTY_VIEW
    cap = cv2.VideoCapture(str(locate("pedestrians")))
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FrameWriter(out, Fraction(10), 2 * (x1 - x0), 2 * (y1 - y0)) as writer:
            for _ in range(frames):
                ok, bgr = cap.read()
                if not ok:
                    break
                crop = cv2.cvtColor(bgr[y0:y1, x0:x1], cv2.COLOR_BGR2RGB)
                writer.write(cv2.resize(crop, (2 * (x1 - x0), 2 * (y1 - y0)), interpolation=cv2.INTER_CUBIC))
    finally:
        cap.release()
    return out
